import { expect, test } from "@playwright/test";
import { MODES, Widget, consoleLines, expectLogged } from "./widget";

// Each seed's code samples run as written in a host page on another origin (the pages are in
// site/), in iframe and inline mode; the tests assert what the samples log and do.
for (const mode of MODES) {
  test.describe(`seed samples (${mode})`, () => {
    test("000/001 ChatSpark: events, unsubscribe, actions, forms and backends", async ({ page }) => {
      const lines = consoleLines(page);
      const leads: any[] = [];
      const newsletters: any[] = [];
      await page.route("**/api/leads", async (route) => {
        leads.push(route.request().postDataJSON());
        await route.fulfill({ status: 204 });
      });
      await page.route("https://your-api.com/webhooks/newsletter", async (route) => {
        newsletters.push(route.request().postDataJSON());
        await route.fulfill({ status: 200, body: "{}" });
      });
      await page.route("https://calendly.com/**", (route) => route.fulfill({ status: 200, body: "calendly" }));
      await page.goto(`/seed-chatspark.html?mode=${mode}`);
      const widget = new Widget(page, mode);
      await widget.open();

      await widget.send("hello");
      await widget.expectReply("You said: hello");
      await expectLogged(lines, "User sent: hello");
      await expectLogged(lines, "User message: hello");
      await expectLogged(lines, 'analytics.track chat_message_sent {"text":"hello"}');
      await expectLogged(lines, /^New conversation: [0-9a-f-]{36}$/);
      await expectLogged(lines, "Agent replied: You said: hello");
      // The unsubscribed handler logged nothing: every log line is one of the samples'.
      expect(lines.filter((l) => l.includes("conversationId"))).toEqual([]);

      // Lead capture: the sample POSTs the lead to /api/leads.
      await widget.send("/lead");
      await widget.expectReply("Leave your details");
      await widget.scope.getByRole("textbox", { name: "Name" }).fill("Ada Lovelace");
      await widget.scope.getByRole("textbox", { name: "Email" }).fill("ada@example.com");
      await widget.scope.getByRole("textbox", { name: "Phone" }).fill("+44 20 7946 0000");
      await widget.button("Submit").click();
      await expectLogged(lines, "Lead: ada@example.com Ada Lovelace");
      await expect.poll(() => leads).toEqual([{ name: "Ada Lovelace", email: "ada@example.com", phone: "+44 20 7946 0000" }]);

      // Actions: the contact_sales form goes to submitToCRM, the newsletter to a backend.
      await widget.send("/actions");
      await widget.expectReply("Here is what you can do");
      const forms = widget.messages.locator(".cq-message--agent").last().locator("form");
      await forms.first().getByRole("textbox", { name: "Name" }).fill("Grace");
      await forms.first().getByRole("textbox", { name: "Email" }).fill("grace@example.com");
      await forms.first().getByRole("button", { name: "Submit" }).click();
      await expectLogged(lines, 'submitToCRM {"name":"Grace","email":"grace@example.com"}');
      await forms.nth(1).getByRole("textbox", { name: "Newsletter email" }).fill("news@example.com");
      await forms.nth(1).getByRole("button", { name: "Submit" }).click();
      await expect
        .poll(() => newsletters)
        .toEqual([{ email: "news@example.com", source: "chat_widget", chatbotId: "YOUR_ID" }]);

      // book_demo: both samples redirect; the second (seed 001) runs last and wins.
      await widget.messages.locator(".cq-message--agent").last().getByRole("button", { name: "Book a demo" }).click();
      await page.waitForURL("https://calendly.com/your-team/demo");
    });

    test("002 Chask: callbacks and analytics events, with Date timestamps", async ({ page }) => {
      const lines = consoleLines(page);
      const posted: any[] = [];
      await page.route("**/api/analytics", async (route) => {
        posted.push(route.request().postDataJSON());
        await route.fulfill({ status: 204 });
      });
      await page.goto(`/seed-chask.html?mode=${mode}`);
      const widget = new Widget(page, mode);
      await expectLogged(lines, "Widget is ready!");
      await expectLogged(lines, "[Analytics] widget_loaded undefined");
      await widget.open();
      await expectLogged(lines, "Chat window opened");
      await expectLogged(lines, "analytics.track chat_opened undefined");
      await expectLogged(lines, "[Analytics] widget_opened");

      await widget.send("hello");
      await widget.expectReply("You said: hello");
      await expectLogged(lines, "Message sent: hello");
      await expectLogged(lines, "New message from: agent");
      await expectLogged(lines, /^\[Analytics\] session_started \{conversationId: [0-9a-f-]{36}\}$/);
      await expectLogged(lines, /^\[Analytics\] message_sent \{messageId: .+, hasAttachments: false\}$/);
      await expectLogged(lines, /^\[Analytics\] message_received \{messageId: .+, sender: agent\}$/);
      // gtag got the data spread plus timestamp.toISOString() (the timestamp is a Date).
      await expectLogged(lines, /^gtag \["event","message_sent",\{"messageId":".+","hasAttachments":false,"timestamp":"\d{4}-\d\d-\d\dT[\d:.]+Z"\}\]$/);
      await expectLogged(lines, /^mixpanel.track message_received \{"messageId":".+","sender":"agent"\}$/);
      await expect.poll(() => posted.map((e) => e.type)).toContain("message_received");
      expect(posted.find((e) => e.type === "message_sent").timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(lines.join("\n")).not.toContain('"text"'); // no message text in analytics

      // A file: attachment_uploaded with its type and size.
      const chooser = page.waitForEvent("filechooser");
      await widget.scope.getByRole("button", { name: "Attach a file" }).click();
      await (await chooser).setFiles({ name: "receipt.png", mimeType: "image/png", buffer: Buffer.alloc(2048) });
      await expectLogged(lines, "[Analytics] attachment_uploaded {fileType: image/png, fileSize: 2048}");

      // An error: onError and error_occurred.
      await widget.send("/error");
      await expectLogged(lines, "Widget error: The demo agent failed on purpose (/error).");
      await expectLogged(lines, "errorTracker.capture SEND_ERROR");
      await expectLogged(lines, /^\[Analytics\] error_occurred \{code: SEND_ERROR, message: The demo agent failed/);

      await page.evaluate(() => (window as any).instance.updateUser({ name: "Ada" }));
      await expectLogged(lines, "User updated: Ada");
      await widget.scope.getByRole("button", { name: "Close chat" }).click();
      await expectLogged(lines, "Chat window closed");
      await expectLogged(lines, "[Analytics] widget_closed undefined");
    });

    test("003 saEvents: the sample logs every event; late subscribers get the history", async ({ page }) => {
      const lines = consoleLines(page);
      await page.goto(`/seed-saevents.html?mode=${mode}`);
      const widget = new Widget(page, mode);
      await expectLogged(lines, "Chat event: CHAT_LOADED {chatInstanceName: help_faq_bot}");
      await expectLogged(lines, "Chat event: CHAT_VISIBLE {chatInstanceName: help_faq_bot}");
      await widget.open();
      await widget.send("/handoff");
      await widget.expectReply("Hi, I'm Dana");
      await expectLogged(lines, /^Chat event: CONTACT_STARTED \{contactId: [0-9a-f-]{36}\}$/);
      await expectLogged(lines, /^Chat event: TRANSFER_TO_QUEUE \{contactId: [0-9a-f-]{36}\}$/);
      await expectLogged(lines, /^Chat event: CONNECT_TO_AGENT \{contactId: [0-9a-f-]{36}\}$/);
      await widget.send("/end");
      await expectLogged(lines, /^Chat event: CONTACT_ENDED \{contactId: [0-9a-f-]{36}\}$/);

      await page.evaluate(() => (window as any).subscribeLate());
      await expect.poll(() => page.evaluate(() => (window as any).late.length)).toBe(6);
      const late = await page.evaluate(() => (window as any).late);
      expect(late.map((e: any) => e.type)).toEqual([
        "CHAT_LOADED",
        "CHAT_VISIBLE",
        "CONTACT_STARTED",
        "TRANSFER_TO_QUEUE",
        "CONNECT_TO_AGENT",
        "CONTACT_ENDED",
      ]);
      // Replayed with their original timestamps, in order, before the subscription.
      const times = late.map((e: any) => e.timestamp);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(late[0].timestamp).toBeLessThan(late[0].at - 500);
      expect(Object.keys(late[0]).sort()).toEqual(["at", "data", "timestamp", "type"]);
    });

    test("004 watsonx: all 17 instance events, and pre:* rewrites apply", async ({ page }) => {
      const lines = consoleLines(page);
      await page.goto(`/seed-watsonx.html?mode=${mode}`);
      const widget = new Widget(page, mode);
      await expectLogged(lines, "chat:ready");
      await widget.open();
      await expectLogged(lines, "view:pre:change launcherClicked");
      await expectLogged(lines, 'view:change launcherClicked {"launcher":false,"mainWindow":true}');

      // authTokenNeeded (expired JWT) before the first send; pre:send trims; pre:receive rewrites.
      await widget.send("   hi there   ");
      await expectLogged(lines, "authTokenNeeded true");
      await expect(widget.messages.locator(".cq-message--user").last()).toHaveText(/^hi there/);
      await expectLogged(lines, "send hi there");
      await widget.expectReply("You wrote: hi there");
      await expectLogged(lines, "receive You wrote: hi there");

      // pre:send can cancel.
      await widget.send("cancel me");
      await widget.send("after");
      await widget.expectReply("You wrote: after");
      await expect(widget.messages.locator(".cq-message--user", { hasText: "cancel me" })).toHaveCount(0);

      // pre:stream:delta suppression: the final message still renders.
      await widget.send("secret plan");
      await widget.expectReply("You wrote: secret plan");

      // customEvent for a response button.
      await widget.send("/buttons");
      await widget.expectReply("Would you like help");
      await widget.button("Yes").click();
      await expectLogged(lines, "customEvent buttonItemClicked Yes");
      await widget.expectReply("You wrote: Yes");

      // userDefinedResponse: the host renders into hostElement; cross-origin it is mirrored,
      // sanitized (no javascript: link, no handler attributes).
      await widget.send("/custom");
      await expectLogged(lines, "userDefinedResponse user_defined");
      const custom = widget.messages.locator(".cq-user-defined");
      await expect(custom).toContainText("Order A-1042");
      await expect(custom).toContainText("Shipped");
      if (mode === "iframe") {
        await expect(custom.locator("a")).not.toHaveAttribute("href");
        await expect(custom.locator("[onclick]")).toHaveCount(0);
      }

      // feedback: thumbs, then details.
      const reply = widget.messages.locator(".cq-message--agent").last();
      await reply.getByRole("button", { name: "Not helpful" }).click();
      await expectLogged(lines, "feedback false button null null");
      await reply.getByRole("button", { name: "Inaccurate" }).click();
      await reply.getByRole("textbox", { name: "Details (optional)" }).fill("wrong order");
      await reply.getByRole("button", { name: "Send feedback" }).click();
      await expectLogged(lines, 'feedback false details ["Inaccurate"] wrong order');

      // view:properties:* (maximize).
      await widget.button("Maximize").click();
      await expectLogged(lines, "view:properties:pre:change true");
      await expectLogged(lines, "view:properties:change true");
      await widget.button("Restore").click();
      await expectLogged(lines, "view:properties:change false");

      // pre:threadLoaded can filter history.
      await page.evaluate(() =>
        (window as any).instance.loadThread([
          { id: "old-1", sender: "user", content: [{ type: "text", text: "Earlier question" }], message_state: { timestamp: 1 } },
          { id: "hide-1", sender: "response", content: [{ type: "text", text: "Hidden answer" }], message_state: {} },
          { id: "old-2", sender: "response", content: [{ type: "text", text: "Earlier answer" }], message_state: {} },
        ]),
      );
      await expectLogged(lines, "pre:threadLoaded 3");
      await expect(widget.messages).toContainText("Earlier answer");
      await expect(widget.messages).not.toContainText("Hidden answer");

      // Restart (with its confirm).
      await widget.button("Restart conversation").click();
      await widget.button("Restart").click();
      await expectLogged(lines, "pre:restartConversation");
      await expectLogged(lines, "restartConversation");
      await expect(widget.messages.locator(".cq-message")).toHaveCount(0);

      // view:pre:change can keep the window closed.
      await widget.button("Minimize").click();
      await expectLogged(lines, "view:change mainWindowMinimized");
      await page.evaluate(() => ((window as any).keepClosed = true));
      await widget.launcher.click();
      await expectLogged(lines, "view:pre:change launcherClicked");
      await expect(widget.window).toBeHidden();
    });
  });
}
