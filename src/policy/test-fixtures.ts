import { parsePolicyFile } from "./load.js";
import type { TeamPolicy } from "./types.js";

// A small organisation for the evaluator's tables: written as policy files, so the tests read like the
// files compliance officers write (and exercise the loader's defaults on the way).

export const ALICE = "8:acs:r_alice";
export const BOB = "8:acs:r_bob";
export const CAROL = "8:acs:r_carol";
export const DAVE = "8:acs:r_dave";
export const ERIN = "8:acs:r_erin";
export const GRACE = "8:orgid:grace";
export const STRANGER = "8:acs:r_stranger";
export const TEAMS_STRANGER = "8:orgid:t_stranger";
export const BOT = "28:orgid:bot";
export const US_CUSTOMER = "4:+15551234567";
export const UK_MOBILE = "4:+447700900123";
export const DESK_LINE = "4:+442071234567";
export const HOTLINE = "4:+448001234005";
export const WELFARE_LINE = "4:+448000309999";
export const ALICES_DOCTOR = "4:+442079460000";
export const ANONYMOUS = "4:anonymous";

export const DESK = `version: 1
team: { id: desk, name: Desk, timeZone: Europe/London }
members: ["${ALICE}", "${BOB}", "+442071234567"]
exemptions:
  - id: welfare-line
    reason: Employee assistance line
    match: { numbers: "+448000309999" }
  - id: alices-doctor
    reason: Personal — Alice's doctor
    members: ["${ALICE}"]
    match: { numbers: "+442079460000" }
  - id: us-trial-2026
    reason: Trial customer, recording waived until the end of 2026
    until: 2026-12-31
    match: { numbers: "+15551234567" }
rules:
  - id: all
    mode: required
    recording: { channel: unmixed, format: wav }
    enforcement: { startWithinSeconds: 10, onStartFailure: hang-up, onStop: hang-up }
    retention: { days: 2555 }
`;

export const LEGAL = `version: 1
team: { id: legal, name: Legal }
members: ["${ERIN}", "${GRACE}"]
rules:
  - id: pstn
    match: { counterpart: pstn }
    mode: required
    recording: { format: mp3 }
    enforcement: { startWithinSeconds: 30, onStartFailure: alert, onStop: restart }
    retention: { days: 1825, legalHold: true }
    announcement: { audioUrl: "https://media.example.com/notice.wav" }
  - id: group-with-teams-users
    match: { shape: group, counterpart: teams }
    mode: best-effort
  - id: privileged
    mode: never
    reason: Legal privilege
`;

export const SUPPORT = `version: 1
team: { id: support, name: Support }
members: ["${CAROL}", "${DAVE}", "+44800123400*"]
rules:
  - id: colleagues
    match: { scope: internal }
    mode: never
    reason: Internal coordination
  - id: weekend-nights
    match:
      time:
        zone: America/New_York
        windows: [{ days: [fri, sat], from: "22:00", to: "06:00" }]
    mode: required
    recording: { format: mp3 }
    enforcement: { startWithinSeconds: 20, onStartFailure: reject, onStop: restart }
    retention: { days: 90 }
  - id: outbound-uk
    match: { direction: outbound, numbers: ["+44*"] }
    mode: best-effort
    retention: { days: 400 }
  - id: sample
    match: { direction: [inbound, outbound] }
    mode: best-effort
    samplePercent: 20
    pause: { allowed: true, autoResumeSeconds: 120 }
    announcement: { text: "This call may be recorded." }
    retention: { days: 365 }
`;

export const organisation = (): TeamPolicy[] => [
  parsePolicyFile("desk.yaml", DESK),
  parsePolicyFile("legal.yaml", LEGAL),
  parsePolicyFile("support.yaml", SUPPORT),
];

/** Call keys whose sampling bucket for team `support` falls inside / outside a 20% sample. */
export const SAMPLED_KEY = "call-3";
export const UNSAMPLED_KEY = "call-1";
