/**
 * Output of `jwtcheck decode` (DESIGN.md §5): what the token says, never the token. The inspection
 * holds only decoded JSON, so nothing here can print the signature.
 */
import type { TokenEvidence } from '../model/index.js';
import type { TokenInspection, TokenTime } from './inspect-token.js';

export interface DecodedJson {
  fingerprint: string | undefined;
  problem?: TokenEvidence['problem'];
  header: Record<string, unknown> | undefined;
  claims: Record<string, unknown> | undefined;
  times: TokenTime[];
  warnings: string[];
}

const indent = (text: string, by = '  '): string => text.split('\n').map((l) => by + l).join('\n');

export function renderDecodedText(
  inspection: TokenInspection,
  fingerprint: string | undefined,
  problem?: TokenEvidence['problem'],
): string {
  const out: string[] = [];
  out.push(`Token fingerprint: ${fingerprint ?? '-'} (sha256, first 12 hex digits)`);
  if (problem) out.push('', `Not a usable token: ${problem.message}`);
  if (inspection.header) out.push('', 'Header:', indent(JSON.stringify(inspection.header, null, 2)));
  if (inspection.claims) out.push('', 'Claims:', indent(JSON.stringify(inspection.claims, null, 2)));
  if (inspection.times.length > 0) {
    out.push('', 'Times:');
    for (const t of inspection.times) out.push(`  ${t.name.padEnd(4)} ${t.at}  ${t.inWords}`);
  }
  if (inspection.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of inspection.warnings) out.push(`  - ${w}`);
  }
  return `${out.join('\n')}\n`;
}

export function decodedAsJson(
  inspection: TokenInspection,
  fingerprint: string | undefined,
  problem?: TokenEvidence['problem'],
): DecodedJson {
  const out: DecodedJson = {
    fingerprint,
    header: inspection.header,
    claims: inspection.claims,
    times: inspection.times,
    warnings: inspection.warnings,
  };
  if (problem) out.problem = problem;
  return out;
}
