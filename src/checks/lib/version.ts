/** Istio version comparisons (the legacy API is ignored from 1.6; several behaviours change by release). */
import type { IstioVersion } from '../../evidence/model.js';

export function versionAtLeast(v: IstioVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function formatVersion(v: IstioVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
