// ESLint with the Office add-in rules (eslint-plugin-office-addins' recommended set, which
// office-addin-lint applies: ESLint's recommended checks, the Office.js rules, Prettier) over the
// whole project, layout included (Prettier, office-addin-prettier-config). `npm run lint` checks,
// `npm run lint:fix` fixes what can be fixed (`npm run format` formats everything).
import officeAddins from "eslint-plugin-office-addins";
import tsParser from "@typescript-eslint/parser";

const recommended = officeAddins.configs.recommended;
// The plugin's own block covers .js/.ts but not .tsx: the same plugins and rules for the React files.
const addinBlock = recommended.find((block) => block.plugins?.["office-addins"]);
// The Office.js rules take the result of any get…() call for an Office.js proxy object: they
// belong to the add-in, where Office.js runs, and misread the server's getters.
const officeRulesOff = Object.fromEntries(
  Object.keys(addinBlock.rules)
    .filter((rule) => rule.startsWith("office-addins/"))
    .map((rule) => [rule, "off"])
);

export default [
  {
    // Installed models live in models/; its training scripts are ours.
    ignores: [
      "node_modules/",
      "dist/",
      ".cache/",
      "coverage/",
      "models/*",
      "!models/training/",
      "tests/artifacts/",
      "out/",
    ],
  },
  ...recommended,
  { files: ["**/*.tsx"], plugins: addinBlock.plugins, rules: addinBlock.rules },
  {
    files: ["**/*.{js,mjs,cjs,ts,tsx,mts,cts}"],
    languageOptions: {
      parser: tsParser,
      ecmaVersion: "latest",
      sourceType: "module",
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    rules: {
      // TypeScript resolves names (`tsc --noEmit` runs before the tests); ESLint's own check
      // knows neither type-only names nor the Node and browser globals.
      "no-undef": "off",
      // A zod schema and its inferred type share a name; tsc reports real redeclarations.
      "no-redeclare": "off",
      // Unused parameters and caught errors keep names that document a signature.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { args: "none", caughtErrors: "none", ignoreRestSiblings: true },
      ],
    },
  },
  { files: ["**/*"], ignores: ["addin/**"], rules: officeRulesOff },
];
