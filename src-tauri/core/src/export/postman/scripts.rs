//! The JavaScript of the collection's pre-request and test scripts (Postman sandbox: `pm.*`,
//! `require('crypto-js')`). Each function returns the script's lines, as the collection's `exec` holds them.

/// Builds `Authorization: Basic …` from `{{<prefix>_client_id}}` and `{{<prefix>_client_secret}}` the way
/// RFC 6749 §2.3.1 wants, and IAS asks: form-urlencode each, join with `:`, base64. Postman's Basic Auth helper
/// skips the form encoding. (XSUAA decodes them when the request says `X-CF-ENCODED-CREDENTIALS: true`.)
pub(super) fn basic_auth(prefix: &str) -> Vec<String> {
    lines(&format!(
        r#"// RFC 6749 §2.3.1: form-urlencode client id and secret, then join with ':' and base64-encode.
// IAS asks for this encoding; XSUAA decodes it when the request carries X-CF-ENCODED-CREDENTIALS: true.
const cryptoJs = require('crypto-js');
const formEncode = (s) => encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
const clientId = pm.variables.get('{prefix}_client_id') || '';
const clientSecret = pm.variables.get('{prefix}_client_secret') || '';
const credentials = cryptoJs.enc.Utf8.parse(formEncode(clientId) + ':' + formEncode(clientSecret));
pm.request.headers.upsert({{ key: 'Authorization', value: 'Basic ' + cryptoJs.enc.Base64.stringify(credentials) }});"#
    ))
}

/// Drops the `X-zid` header when no zone id is known, rather than sending it empty.
pub(super) fn drop_empty_zid() -> Vec<String> {
    lines(
        r#"// X-zid names the subaccount's zone; without one, XSUAA picks it from its host name.
if (!pm.variables.get('xsuaa_zid')) {
    pm.request.headers.remove('X-zid');
}"#,
    )
}

/// Asserts 200 and a first token, then stores every token of the response as `<prefix>_<name>` and its
/// expiry (from the JWT's `exp`) as `<prefix>_<name>_expires_at`, as the environment names them.
pub(super) fn store_tokens(service: &str, prefix: &str, required: &str, names: &[&str], set_zid: bool) -> Vec<String> {
    let names = names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    let mut script = format!(
        r#"pm.test('{service} answers 200', function () {{
    pm.response.to.have.status(200);
}});
let body = {{}};
try {{
    body = pm.response.json();
}} catch (e) {{
    // not JSON: the assertions below report it
}}
pm.test('{service} returns an {required}', function () {{
    pm.expect(body.{required}, '{required}').to.be.a('string').that.is.not.empty;
}});
const cryptoJs = require('crypto-js');
// The claims of a JWT, or {{}} for an opaque token.
const claimsOf = (jwt) => {{
    try {{
        const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
        return JSON.parse(cryptoJs.enc.Base64.parse(part).toString(cryptoJs.enc.Utf8));
    }} catch (e) {{
        return {{}};
    }}
}};
[{names}].forEach(function (name) {{
    if (typeof body[name] !== 'string' || body[name] === '') {{
        return;
    }}
    pm.environment.set('{prefix}_' + name, body[name]);
    const exp = claimsOf(body[name]).exp;
    if (typeof exp === 'number') {{
        pm.environment.set('{prefix}_' + name + '_expires_at', new Date(exp * 1000).toISOString().replace('.000Z', 'Z'));
    }}
}});"#
    );
    if set_zid {
        script.push_str(
            r#"
// XSUAA wants the IAS token's app_tid as X-zid, unless the profile pinned one.
const appTid = claimsOf(body.id_token || '').app_tid;
if (appTid && !pm.environment.get('xsuaa_zid')) {
    pm.environment.set('xsuaa_zid', appTid);
}"#,
        );
    }
    lines(&script)
}

/// Asserts the status only: what the API returns is the API's business.
pub(super) fn expect_ok(service: &str) -> Vec<String> {
    lines(&format!(
        r#"pm.test('{service} answers 200', function () {{
    pm.response.to.have.status(200);
}});"#
    ))
}

/// The Entra sign-in request fetches the OpenID configuration: a harmless request that proves the
/// authority and tenant are right, whether or not the OAuth 2.0 helper has a token yet.
pub(super) fn check_discovery() -> Vec<String> {
    lines(
        r#"pm.test('Entra answers 200', function () {
    pm.response.to.have.status(200);
});
pm.test('Entra publishes a token endpoint', function () {
    pm.expect(pm.response.json().token_endpoint, 'token_endpoint').to.be.a('string');
});"#,
    )
}

fn lines(script: &str) -> Vec<String> {
    script.lines().map(str::to_owned).collect()
}
