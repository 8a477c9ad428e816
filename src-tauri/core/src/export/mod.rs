//! Exports of a run: Postman collection and environment, curl script, `.http` file, `.env`.
