import { describe, expect, it } from "vitest";
import { locate, parsePath } from "../src/jsonpath";

const suite = `{
  "name": "x",
  "tests": [
    { "name": "a", "user_prompt": "hi" },
    {
      "name": "b",
      "user_prompt": ["not", "a", "string"],
      "tools_schema_json": "[{\\"type\\":\\"function\\"}]"
    }
  ]
}`;

describe("jsonpath", () => {
  it("parses paths", () => {
    expect(parsePath("$.tests[1].user_prompt")).toEqual(["tests", 1, "user_prompt"]);
    expect(parsePath("$")).toEqual([]);
  });
  it("finds the line of a path", () => {
    expect(locate(suite, "$.name")!.line).toBe(2);
    expect(locate(suite, "$.tests[0]")!.line).toBe(4);
    expect(locate(suite, "$.tests[1].user_prompt")!.line).toBe(7);
    expect(locate(suite, "$.tests[1].tools_schema_json[0].function.name")!.line).toBe(8);
  });
  it("falls back to the nearest parent for a path that is not there", () => {
    expect(locate(suite, "$.tests[1].colour")!.line).toBe(5);
    expect(locate(suite, "$")!.line).toBe(1);
  });
});
