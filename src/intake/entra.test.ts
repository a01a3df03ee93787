import { describe, expect, it } from "vitest";
import { EVENT_GRID_APP_ID, EVENT_GRID_WEBHOOK_ROLE, refusedCaller } from "./entra.js";

const caller = { allowedAppIds: [EVENT_GRID_APP_ID.public], requiredRole: EVENT_GRID_WEBHOOK_ROLE };
const role = [EVENT_GRID_WEBHOOK_ROLE];

describe("which client application may deliver with an Entra token", () => {
  it.each([
    ["Event Grid, v1.0 token (appid)", { appid: EVENT_GRID_APP_ID.public, roles: role }, undefined],
    ["Event Grid, v2.0 token (azp)", { azp: EVENT_GRID_APP_ID.public, roles: role }, undefined],
    ["Event Grid, id in upper case", { appid: EVENT_GRID_APP_ID.public.toUpperCase(), roles: role }, undefined],
    ["Event Grid with more roles", { appid: EVENT_GRID_APP_ID.public, roles: ["Other", ...role] }, undefined],
    ["another app with the role", { appid: "11111111-2222-3333-4444-555555555555", roles: role }, "not to Event Grid"],
    ["another app (azp)", { azp: "11111111-2222-3333-4444-555555555555", roles: role }, "not to Event Grid"],
    ["appid wins over azp", { appid: "other", azp: EVENT_GRID_APP_ID.public, roles: role }, "not to Event Grid"],
    ["Event Grid Government, not allowed by default", { appid: EVENT_GRID_APP_ID.government, roles: role }, "not to"],
    ["no client claim", { roles: role }, "no client application"],
    ["client claim not a string", { appid: 42, roles: role }, "no client application"],
    ["Event Grid without the role", { appid: EVENT_GRID_APP_ID.public }, "lacks the app role"],
    ["roles not a list", { appid: EVENT_GRID_APP_ID.public, roles: EVENT_GRID_WEBHOOK_ROLE }, "lacks the app role"],
  ])("%s", (_name, claims, refusal) => {
    const reason = refusedCaller(claims, caller);
    if (refusal === undefined) expect(reason).toBeUndefined();
    else expect(reason).toContain(refusal);
  });

  it("takes a configured allow-list (e.g. Azure Government's Event Grid)", () => {
    const government = { ...caller, allowedAppIds: [EVENT_GRID_APP_ID.government] };
    expect(refusedCaller({ appid: EVENT_GRID_APP_ID.government, roles: role }, government)).toBeUndefined();
    expect(refusedCaller({ appid: EVENT_GRID_APP_ID.public, roles: role }, government)).toContain("not to Event Grid");
  });
});
