import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { WIDGET } from "./playwright.config";

// Every widget state from the gallery (src/demo/gallery.rs renders them from fixed data), light
// and dark, desktop and phone width: a committed screenshot and zero axe-core violations each.
const STATES = [
  "closed",
  "open-empty",
  "markdown",
  "streaming",
  "actions",
  "lead",
  "feedback",
  "handoff",
  "error",
  "maximized",
] as const;
const SCHEMES = ["light", "dark"] as const;
const WIDTHS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

async function show(page: Page, state: string, scheme: string, width: number, locale?: string) {
  await page.clock.setFixedTime(new Date("2026-11-16T12:00:00Z"));
  const lang = locale ? `&locale=${locale}` : "";
  await page.goto(`${WIDGET}/demo/gallery?state=${state}&scheme=${scheme}&width=${width}${lang}`);
  const frame = page.locator(".cq-frame");
  await expect(frame).toBeVisible();
  return frame;
}

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).include(".cq-frame").analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(found).toEqual([]);
}

for (const { name, width, height } of WIDTHS) {
  test.describe(`widget states, ${name}`, () => {
    test.use({ viewport: { width, height } });
    for (const scheme of SCHEMES) {
      for (const state of STATES) {
        if (name === "phone" && state === "maximized") continue; // no maximize on a phone
        test(`${state} (${scheme})`, async ({ page }) => {
          const frame = await show(page, state, scheme, width);
          await page.locator("textarea").evaluateAll((els) => els.forEach((e) => (e as HTMLElement).blur()));
          await expect(frame).toHaveScreenshot(`${state}-${scheme}-${name}.png`);
          await expectAccessible(page);
        });
      }

      test(`form validation errors (${scheme})`, async ({ page }) => {
        const frame = await show(page, "actions", scheme, width);
        const form = frame.locator("form.cq-form").first();
        await form.getByRole("textbox", { name: "Email" }).fill("not-an-email");
        await form.getByRole("button", { name: "Submit" }).click();
        await expect(form.getByText("This field is required")).toBeVisible();
        await expect(form.getByText("Enter a valid email address")).toBeVisible();
        await expect(form.getByRole("textbox", { name: "Name" })).toBeFocused();
        await expect(form.getByRole("textbox", { name: "Name" })).toHaveAttribute("aria-invalid", "true");
        await expect(frame).toHaveScreenshot(`form-errors-${scheme}-${name}.png`);
        await expectAccessible(page);
      });

      test(`restart question (${scheme})`, async ({ page }) => {
        const frame = await show(page, "markdown", scheme, width);
        // From the keyboard, so the focus ring on Cancel shows.
        await frame.getByRole("button", { name: "Restart conversation" }).focus();
        await page.keyboard.press("Enter");
        const question = frame.getByRole("alertdialog");
        await expect(question.getByRole("button", { name: "Cancel" })).toBeFocused();
        await expect(frame).toHaveScreenshot(`restart-question-${scheme}-${name}.png`);
        await expectAccessible(page);
      });

      test(`feedback popup (${scheme})`, async ({ page }) => {
        const frame = await show(page, "feedback", scheme, width);
        await frame.getByRole("button", { name: "Not helpful" }).click();
        await frame.getByRole("button", { name: "Inaccurate" }).click();
        await expect(frame.getByRole("button", { name: "Inaccurate" })).toHaveAttribute("aria-pressed", "true");
        await expect(frame).toHaveScreenshot(`feedback-popup-${scheme}-${name}.png`);
        await expectAccessible(page);
      });
    }
  });
}

// Right to left: Arabic, the closed launcher (greeting, unread badge) and a short conversation
// (bubbles, times, feedback, header and composer), light and dark.
test.describe("right to left (ar), desktop", () => {
  for (const scheme of SCHEMES) {
    for (const state of ["closed", "feedback"]) {
      test(`ar ${state} (${scheme})`, async ({ page }) => {
        const frame = await show(page, state, scheme, 1280, "ar");
        await expect(frame.locator(".cq-widget")).toHaveAttribute("dir", "rtl");
        await expect(frame.locator(".cq-widget")).toHaveAttribute("lang", "ar");
        await page.locator("textarea").evaluateAll((els) => els.forEach((e) => (e as HTMLElement).blur()));
        await expect(frame).toHaveScreenshot(`ar-${state}-${scheme}-desktop.png`);
        await expectAccessible(page);
      });
    }
  }
});

// The narrowest phones in use (320 px) beside the 390 px above: the closed launcher and a
// conversation. Nothing may overflow, and the 44 px window buttons must still leave the title
// room.
test.describe("widget states, phone 320 px", () => {
  test.use({ viewport: { width: 320, height: 844 } });
  for (const scheme of SCHEMES) {
    for (const state of ["closed", "markdown"]) {
      test(`${state} (${scheme}), 320 px`, async ({ page }) => {
        const frame = await show(page, state, scheme, 320);
        await page.locator("textarea").evaluateAll((els) => els.forEach((e) => (e as HTMLElement).blur()));
        await expect(frame).toHaveScreenshot(`${state}-${scheme}-phone-320.png`);
        await expectAccessible(page);
      });
    }
  }
});

test("the automatic scheme follows prefers-color-scheme", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${WIDGET}/demo/gallery?state=open-empty&scheme=auto`);
  const bg = await page.locator(".cq-window").evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(bg).toBe("rgb(21, 23, 28)");
});
