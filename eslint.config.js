// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
    rules: {
      "no-restricted-imports": ["error", { patterns: ["**/simulator/**"] }],
    },
  },
  {
    files: ["bin/**/*.mjs", "scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
