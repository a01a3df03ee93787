// @ts-check
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The modules of src/ (one folder each): outside a module, code imports only its index.js, the module's public
 * face, never its inner files (docs/architecture.md "Modules"). Read from the folders, so a new module is covered.
 */
const modules = readdirSync(fileURLToPath(new globalThis.URL("./src", import.meta.url)), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const innerFilesOf = (/** @type {string} */ module) => ({
  regex: `^(\\.\\.?/)+(src/)?${module}/(?!index\\.js$)`,
  message: `Import src/${module}/index.js (its public face), not one of its inner files: export what you need there.`,
});
const noSimulator = {
  group: ["**/simulator/**"],
  message: "The simulator is a separate reading of the ACS reference: the app never imports it.",
};
/** @returns {import("eslint").Linter.RulesRecord} */
const restrictImports = (/** @type {object[]} */ patterns) => ({ "no-restricted-imports": ["error", { patterns }] });
/** Code outside src's modules that uses them: workers, benchmarks and scripts (tests may reach a module's parts). */
const usersOfModules = ["workers/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"];
const notTests = ["**/*.test.ts"];

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "bench/results/", ".azurite/", "coverage/", "dist/", ".build/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The simulator is a separate reading of the ACS reference: it must never share code with the app.
    files: ["simulator/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["**/src/**", "**/workers/**", "../src/*", "../workers/*"] }],
    },
  },
  {
    files: ["src/**/*.ts", "workers/**/*.ts"],
    rules: restrictImports([noSimulator]),
  },
  {
    files: usersOfModules,
    ignores: notTests,
    rules: restrictImports(modules.map(innerFilesOf)),
  },
  {
    // The workers and src's own top-level files (entry points, runtime, logging, metrics).
    files: ["workers/**/*.ts", "src/*.ts"],
    ignores: notTests,
    rules: restrictImports([noSimulator, ...modules.map(innerFilesOf)]),
  },
  // Inside a module its own files are its business: only the other modules' inner files are out of reach.
  ...modules.map((module) => ({
    files: [`src/${module}/**/*.ts`],
    ignores: notTests,
    rules: restrictImports([noSimulator, ...modules.filter((other) => other !== module).map(innerFilesOf)]),
  })),
  {
    files: ["bin/**/*.mjs", "scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
