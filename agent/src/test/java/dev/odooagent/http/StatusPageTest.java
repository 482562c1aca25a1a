package dev.odooagent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StatusPageTest {
  static final Instant NOW = Instant.parse("2026-01-01T12:10:00Z");
  static final String EVIL = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";

  static JsonObject status() {
    return new JsonObject().put("host", "odoo-prod-1").put("state", "idle").put("deploy_in_progress", false).put("health", "pass")
        .put("current", new JsonObject().put("tag", "sha-0123456").put("digest", "sha256:" + "a".repeat(64)).put("since", "2026-01-01T12:00:00Z"))
        .put("previous", new JsonObject().put("tag", "sha-7777777").put("digest", "sha256:" + "b".repeat(64)))
        .putNull("pinned");
  }

  static JsonArray deploys() {
    return new JsonArray().add(new JsonObject().put("id", "20260101-120000-1a2b").put("outcome", "rolled_back")
        .put("from", new JsonObject().put("tag", "sha-0123456")).put("to", new JsonObject().put("tag", "sha-bad0bad"))
        .put("started", "2026-01-01T11:59:00Z").put("finished", "2026-01-01T12:00:00Z").put("source", "admin")
        .put("reason", "new container failed its health gate: HTTP 500"));
  }

  @Test
  void showsVersionsHealthStateAndTheLastDeploys() {
    String html = StatusPage.render(status(), deploys(), NOW);
    assertTrue(html.contains("<td class=\"tag\">sha-0123456</td>"), html);
    assertTrue(html.contains("since 2026-01-01 12:00:00 UTC (10 min ago)"), html);
    assertTrue(html.contains("<td class=\"when\">2026-01-01 12:00:00 UTC</td>"), html);
    assertTrue(html.contains("<tr id=\"pinned\"><th>pinned</th><td class=\"tag none\">none</td>"));
    assertTrue(html.contains("health: pass") && html.contains("state: idle"));
    assertTrue(html.contains("<td class=\"reason\">new container failed its health gate: HTTP 500</td>"));
    assertTrue(html.contains("<td>60 s</td>"), "the deploy's duration");
    assertTrue(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    assertFalse(html.contains("id=\"fleet\""), "no fleet section without a fleet");
  }

  @Test
  void showsPendingWithItsReasonAndTheFleetWave() {
    JsonObject s = status().put("pending", new JsonObject().put("tag", "sha-9999999").put("digest", "sha256:" + "c".repeat(64))
        .put("reason", "waiting for the window Mon-Fri 01:00-05:00 UTC"))
        .put("fleet", new JsonObject().put("group", "prod").put("wave", 1).put("waiting_for", new JsonArray().add("odoo-canary-1")));
    String html = StatusPage.render(s, new JsonArray(), NOW);
    assertTrue(html.contains("<td class=\"tag\">sha-9999999</td>"), html);
    assertTrue(html.contains("waiting for the window Mon-Fri 01:00-05:00 UTC"));
    assertTrue(html.contains("<tr><th>wave</th><td>1</td></tr>") && html.contains("<td>odoo-canary-1</td>"), html);
    assertTrue(html.contains("No deploy yet."));
  }

  @Test
  void everyOutsideValueIsEscaped() {
    JsonObject s = status().put("host", EVIL).put("state", EVIL).put("health", EVIL);
    s.getJsonObject("current").put("tag", EVIL).put("digest", EVIL);
    s.put("pending", new JsonObject().put("tag", EVIL).put("reason", EVIL)).put("fleet", new JsonObject().put("group", EVIL).put("waiting_for", EVIL));
    JsonArray d = deploys();
    d.getJsonObject(0).put("reason", EVIL).put("id", EVIL).put("outcome", EVIL).put("source", EVIL).put("to", new JsonObject().put("tag", EVIL));
    String html = StatusPage.render(s, d, NOW);
    assertFalse(html.contains("<script"), html);
    assertFalse(html.contains("<img"), html);
    assertFalse(Pattern.compile("\"\\s*onerror").matcher(html).find(), html);
    assertTrue(html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
  }

  @Test
  void thePageHasNoScriptFormLinkOrExternalAsset() {
    String html = StatusPage.render(status(), deploys(), NOW).toLowerCase();
    for (String bad : new String[] {"<script", "<form", "<button", "<input", "<a ", "<link", "src=", "href=", "http://", "https://", "@import"}) {
      assertFalse(html.contains(bad), bad);
    }
    assertEquals("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", StatusPage.CSP);
  }
}
