// eslint.config.mjs: the Office add-in rules judge the add-in's Office.js code and only that;
// ESLint's recommended checks apply everywhere, and so does Prettier's layout.
import { describe, expect, it } from "@jest/globals";
import { ESLint } from "eslint";
import { join } from "node:path";
import * as prettier from "prettier";

const root = join(import.meta.dirname, "..", "..");
const eslint = new ESLint({ cwd: root, overrideConfigFile: join(root, "eslint.config.mjs") });

// Reads a property of a Word proxy object without loading it and syncing first.
const unsyncedRead = `export async function selectedText(): Promise<string> {
  return Word.run(async (context) => {
    const range = context.document.getSelection();
    return range.text;
  });
}
`;

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe("eslint.config.mjs", () => {
  it("applies the Office.js rules to the add-in", async () => {
    const ids = await ruleIds(unsyncedRead, "addin/hosts/example.ts");
    expect(ids).toContain("office-addins/load-object-before-read");
    expect(ids).toContain("office-addins/call-sync-before-read");
  });

  it("applies them to the add-in's React files too", async () => {
    const ids = await ruleIds(
      unsyncedRead.replace("return range.text;", "return <>{range.text}</>;"),
      "addin/taskpane/Example.tsx"
    );
    expect(ids).toContain("office-addins/call-sync-before-read");
  });

  it("does not apply them to the server, whose getters return plain objects", async () => {
    const ids = await ruleIds(unsyncedRead, "backend/api/example.ts");
    expect(ids.filter((id) => id.startsWith("office-addins/"))).toStrictEqual([]);
  });

  it("reports unused variables everywhere, and layout that Prettier would change", async () => {
    const ids = await ruleIds(
      "export function f(): number {\n  const unused = 1;\n  return    2;\n}\n",
      "backend/example.ts"
    );
    expect(ids).toStrictEqual(["@typescript-eslint/no-unused-vars", "prettier/prettier"]);
    const tidy = await ruleIds(
      "export function f(): number {\n  return 2;\n}\n",
      "backend/example.ts"
    );
    expect(tidy).toStrictEqual([]);
  });

  it("format:check holds the code to office-addin-prettier-config", async () => {
    const filepath = join(root, "backend", "example.ts");
    const options = { ...(await prettier.resolveConfig(filepath)), filepath };
    expect(options.printWidth).toBe(100);
    expect(await prettier.check("export const f = (a: number) =>    a + 1;\n", options)).toBe(
      false
    );
    expect(await prettier.check("export const f = (a: number) => a + 1;\n", options)).toBe(true);
  });

  it("accepts a zod schema and its type under one name", async () => {
    const code =
      'import { z } from "zod";\n\nexport const Shape = z.object({ a: z.string() });\nexport type Shape = z.infer<typeof Shape>;\n';
    expect(await ruleIds(code, "backend/example.ts")).toStrictEqual([]);
  });
});
