import { describe, expect, it } from "vitest";
import { delta, ms, num, pct, seconds } from "../src/format";

describe("format", () => {
  it("shows milliseconds under a second and seconds above", () => {
    expect(ms(0.5)).toBe("0.50 ms");
    expect(ms(42.4)).toBe("42 ms");
    expect(ms(1234)).toBe("1.23 s");
    expect(ms(null)).toBe("—");
  });
  it("shows durations in seconds, and minutes past one", () => {
    expect(seconds(4.26)).toBe("4.3 s");
    expect(seconds(185)).toBe("3 min 05 s");
    expect(seconds(null)).toBe("—");
  });
  it("shows rates as percentages", () => {
    expect(pct(1)).toBe("100%");
    expect(pct(0)).toBe("0%");
    expect(pct(0.8333)).toBe("83.3%");
    expect(pct(null)).toBe("—");
  });
  it("signs deltas", () => {
    expect(delta(12.4)).toBe("+12 ms");
    expect(delta(-3, "%")).toBe("−3.0 %");
    expect(delta(0)).toBe("±0 ms");
    expect(num(undefined)).toBe("—");
  });
});
