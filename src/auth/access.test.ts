import { describe, expect, it } from "vitest";
import { ACTIONS, decide, ROLES, scopeFilters, type Action, type Role, type Target } from "./access.js";
import type { Principal } from "./tokens.js";

const principals: Record<Role, Principal | undefined> = {
  team: { name: "desk-reviewer", role: "team", team: "desk" },
  auditor: { name: "auditor", role: "auditor" },
  admin: { name: "ops", role: "admin" },
  anonymous: undefined,
};
const targets: Record<string, Target | undefined> = {
  "no target": undefined,
  "own team": { team: "desk" },
  "other team": { team: "legal" },
  "all teams": "all-teams",
};

/** Every cell: role → action → [no target, own team, other team, all teams]. "ok" allows; a number refuses. */
type Cell = "ok" | 401 | 403 | 404;
const T = (...cells: [Cell, Cell, Cell, Cell]) => cells;
const ALL = (cell: Cell) => T(cell, cell, cell, cell);
const expected: Record<Role, Record<Action, Cell[]>> = {
  team: {
    list: T("ok", "ok", 404, 404),
    get: T("ok", "ok", 404, 404),
    play: T("ok", "ok", 404, 404),
    verify: T("ok", "ok", 404, 404),
    export: T("ok", "ok", 404, 404),
    pause: T("ok", "ok", 404, 404),
    resume: T("ok", "ok", 404, 404),
    stop: T("ok", "ok", 404, 404),
    audit: ALL(403),
    board: ALL(403),
    ops: ALL(403),
    reconcile: T("ok", "ok", 404, 404),
    "review:read": T("ok", "ok", 404, 404),
    "review:write": T("ok", "ok", 404, 404),
    "review:assign": T("ok", "ok", 404, 404),
  },
  auditor: {
    list: ALL("ok"),
    get: ALL("ok"),
    play: ALL("ok"),
    verify: ALL("ok"),
    export: ALL("ok"),
    pause: ALL(403),
    resume: ALL(403),
    stop: ALL(403),
    audit: ALL("ok"),
    board: ALL(403),
    ops: ALL(403),
    reconcile: ALL("ok"),
    "review:read": ALL("ok"),
    "review:write": ALL(403),
    "review:assign": ALL(403),
  },
  admin: {
    list: ALL(403),
    get: ALL(403),
    play: ALL(403),
    verify: ALL(403),
    export: ALL(403),
    pause: ALL(403),
    resume: ALL(403),
    stop: ALL(403),
    audit: ALL(403),
    board: ALL("ok"),
    ops: ALL("ok"),
    reconcile: ALL(403),
    "review:read": ALL(403),
    "review:write": ALL(403),
    "review:assign": ALL(403),
  },
  anonymous: {
    list: ALL(401),
    get: ALL(401),
    play: ALL(401),
    verify: ALL(401),
    export: ALL(401),
    pause: ALL(401),
    resume: ALL(401),
    stop: ALL(401),
    audit: ALL(401),
    board: ALL(401),
    ops: ALL(401),
    reconcile: ALL(401),
    "review:read": ALL(401),
    "review:write": ALL(401),
    "review:assign": ALL(401),
  },
};

describe("access rules: role × action × team", () => {
  const cells = ROLES.flatMap((role) =>
    ACTIONS.flatMap((action) =>
      Object.keys(targets).map((target, i) => [role, action, target, expected[role][action][i]!] as const),
    ),
  );
  it("covers every cell of the table", () => {
    expect(cells).toHaveLength(ROLES.length * ACTIONS.length * Object.keys(targets).length);
  });
  it.each(cells)("%s may %s (%s): %s", (role, action, target, cell) => {
    const decision = decide(principals[role], action, targets[target]);
    expect(decision.allowed ? "ok" : decision.status).toBe(cell);
    if (!decision.allowed) expect(decision.message).not.toBe("");
  });
});

describe("listing scope", () => {
  const desk = { name: "d", role: "team", team: "desk" } as const;
  const auditor = { name: "a", role: "auditor" } as const;
  it.each([
    [desk, {}, { team: "desk" }],
    [desk, { team: "desk", outcome: "required" }, { team: "desk", outcome: "required" }],
    [desk, { team: "legal" }, undefined],
    [auditor, {}, {}],
    [auditor, { team: "legal" }, { team: "legal" }],
  ])("%o asking %o lists %o", (principal, filters, scoped) => {
    expect(scopeFilters(principal, "list", filters)).toEqual(scoped);
  });
});
