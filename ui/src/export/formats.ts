// The export formats offered, with the file name a save dialog proposes.
import type { ExportFormat } from "../lib/bindings/ExportFormat";
import type { RunReport } from "../lib/bindings/RunReport";

export const FORMATS: { id: ExportFormat; label: string; note: string; ext: string }[] = [
  { id: "postman", label: "Postman", note: "Collection v2.1 + environment; replays the chain", ext: "json" },
  { id: "curl", label: "curl script", note: "bash, one command per hop", ext: "sh" },
  { id: "http", label: ".http file", note: "VS Code REST Client / JetBrains", ext: "http" },
  { id: "env", label: ".env", note: "KEY=value, tokens only", ext: "env" },
];

export interface CopyableToken {
  id: string;
  label: string;
  value: string;
}

/** Every token of a run, labelled by hop, the last hop's first (the one people usually want). */
export function tokensOf(report: RunReport | null): CopyableToken[] {
  if (!report) return [];
  const hop: Record<string, string> = { entra: "Entra", ias: "IAS", xsuaa: "XSUAA", api: "API" };
  const out: CopyableToken[] = [];
  for (const s of [...report.steps].reverse()) {
    for (const [name, value] of Object.entries(s.tokens)) {
      if (value) out.push({ id: `${s.step}.${name}`, label: `${hop[s.step]} ${name}`, value });
    }
  }
  return out;
}
