package dev.odooagent.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * The read-only HTML status page at {@code GET /}: versions, health, state, fleet wave and the last deploys. It has no
 * script, form, link out or external asset, and every value is escaped: tags and reasons come from outside.
 */
public final class StatusPage {
  /** Seconds between the page's own reloads. */
  static final int REFRESH_SECONDS = 5;
  /** The page's Content-Security-Policy: nothing but its own inline style may load or run. */
  static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private StatusPage() {}

  /** The page for a /status document and the newest deploys (as /history), rendered at {@code now}. */
  public static String render(JsonObject status, JsonArray deploys, Instant now) {
    StringBuilder h = new StringBuilder(8 * 1024);
    String host = status.getString("host", "?");
    h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>odoo-agent · ").append(esc(host)).append("</title><style>").append(STYLE).append("</style></head><body>\n");
    h.append("<header><h1>").append(esc(host)).append("</h1>")
        .append(badge("state", status.getString("state"))).append(badge("health", status.getString("health")));
    if (status.getBoolean("deploy_in_progress", false)) {
      h.append("<span class=\"badge busy\">deploy in progress</span>");
    }
    h.append("</header>\n<main>\n<section><h2>Versions</h2><table id=\"versions\">");
    version(h, "current", status.getJsonObject("current"), since(status.getJsonObject("current"), now));
    version(h, "previous", status.getJsonObject("previous"), "");
    version(h, "pinned", status.getJsonObject("pinned"), "");
    JsonObject pending = status.getJsonObject("pending");
    version(h, "pending", pending, pending == null ? "" : rest(pending));
    h.append("</table></section>\n");
    JsonObject fleet = status.getJsonObject("fleet");
    if (fleet != null) {
      h.append("<section><h2>Fleet</h2><table id=\"fleet\">")
          .append(row("group", fleet.getValue("group"))).append(row("wave", fleet.getValue("wave")))
          .append(row("waiting for", fleet.getValue("waiting_for") == null ? "nothing" : fleet.getValue("waiting_for")))
          .append("</table></section>\n");
    }
    h.append("<section><h2>Last deploys</h2>");
    if (deploys.isEmpty()) {
      h.append("<p>No deploy yet.</p>");
    } else {
      h.append("<table id=\"deploys\"><tr><th>finished</th><th>outcome</th><th>from</th><th>to</th><th>took</th>")
          .append("<th>source</th><th>reason</th><th>deploy</th></tr>");
      for (Object o : deploys) {
        deploy(h, (JsonObject) o);
      }
      h.append("</table>");
    }
    h.append("</section>\n</main>\n<footer>Read-only view; reloads every ").append(REFRESH_SECONDS)
        .append(" s. Rendered ").append(esc(clock(now.toString()))).append(". Commands: <code>odoo-agent --help</code>.</footer>\n")
        .append("</body></html>\n");
    return h.toString();
  }

  private static void version(StringBuilder h, String what, JsonObject image, String note) {
    h.append("<tr id=\"").append(what).append("\"><th>").append(what).append("</th>");
    if (image == null) {
      h.append("<td class=\"tag none\">none</td><td></td><td></td></tr>");
      return;
    }
    h.append("<td class=\"tag\">").append(esc(image.getString("tag", "(no tag)"))).append("</td><td><code>")
        .append(esc(image.getString("digest", ""))).append("</code></td><td>").append(esc(note)).append("</td></tr>");
  }

  private static void deploy(StringBuilder h, JsonObject d) {
    String outcome = d.getString("outcome", "?");
    h.append("<tr class=\"outcome-").append(esc(outcome.replaceAll("[^a-z_]", ""))).append("\">")
        .append("<td class=\"when\">").append(esc(clock(d.getString("finished")))).append("</td>")
        .append("<td class=\"outcome\">").append(esc(outcome)).append("</td>")
        .append("<td>").append(esc(label(d.getJsonObject("from")))).append("</td>")
        .append("<td>").append(esc(label(d.getJsonObject("to")))).append("</td>")
        .append("<td>").append(esc(took(d))).append("</td>")
        .append("<td>").append(esc(d.getString("source", ""))).append("</td>")
        .append("<td class=\"reason\">").append(esc(d.getString("reason", ""))).append("</td>")
        .append("<td class=\"when\"><code>").append(esc(d.getString("id", ""))).append("</code></td></tr>");
  }

  private static String row(String key, Object value) {
    String v = value instanceof JsonArray a ? String.join(", ", a.stream().map(String::valueOf).toList()) : String.valueOf(value);
    return "<tr><th>" + esc(key) + "</th><td>" + esc(v) + "</td></tr>";
  }

  private static String badge(String what, String value) {
    String v = value == null ? "unknown" : value;
    return "<span class=\"badge " + what + "-" + esc(v.replaceAll("[^a-z_]", "")) + "\">" + what + ": " + esc(v) + "</span>";
  }

  /** The fields of a pending version beyond tag and digest (its reason, its window), as one line. */
  private static String rest(JsonObject pending) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Object> e : pending) {
      if (!e.getKey().equals("tag") && !e.getKey().equals("digest") && e.getValue() != null) {
        sb.append(sb.length() == 0 ? "" : "; ").append(e.getKey().equals("reason") ? "" : e.getKey() + ": ").append(e.getValue());
      }
    }
    return sb.toString();
  }

  private static String since(JsonObject current, Instant now) {
    if (current == null || current.getString("since") == null) {
      return "";
    }
    try {
      return "since " + clock(current.getString("since")) + " (" + human(Duration.between(Instant.parse(current.getString("since")), now)) + " ago)";
    } catch (RuntimeException unparsable) {
      return "since " + current.getString("since");
    }
  }

  /** An instant to the second, in UTC; anything unparsable as it came. */
  private static String clock(String instant) {
    if (instant == null) {
      return "";
    }
    try {
      return CLOCK.format(Instant.parse(instant));
    } catch (RuntimeException unparsable) {
      return instant;
    }
  }

  private static String took(JsonObject d) {
    try {
      return human(Duration.between(Instant.parse(d.getString("started")), Instant.parse(d.getString("finished"))));
    } catch (RuntimeException missing) {
      return "";
    }
  }

  private static String human(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + " s";
    }
    if (s < 7200) {
      return s / 60 + " min";
    }
    return s / 3600 + " h";
  }

  private static String label(JsonObject image) {
    if (image == null) {
      return "?";
    }
    String tag = image.getString("tag");
    String digest = image.getString("digest");
    return tag != null ? tag : digest == null ? "?" : digest.substring(0, Math.min(digest.length(), 19));
  }

  /** HTML-escapes text for element content and quoted attributes. */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  private static final String STYLE = "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}"
      + "header{background:#263238;color:#fff;padding:14px 24px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}"
      + "h1{font-size:20px;margin:0 12px 0 0}main{padding:8px 24px}h2{font-size:16px;margin:18px 0 6px}"
      + "table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;width:100%}"
      + "th,td{padding:6px 10px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}"
      + "th{background:#eef0f3;font-weight:600;white-space:nowrap}code{font-size:12px;word-break:break-all}"
      + ".badge{padding:3px 10px;border-radius:12px;background:#546e7a;font-size:13px}"
      + ".health-pass,.state-idle{background:#2e7d32}.health-fail,.state-failed{background:#c62828}"
      + ".state-deploying,.state-rolling_back,.busy{background:#ef6c00}.tag{font-weight:600}.none{color:#8a939c;font-weight:400}"
      + ".outcome-success .outcome{color:#2e7d32;font-weight:600}.outcome-rolled_back .outcome{color:#ef6c00;font-weight:600}"
      + ".outcome-failed .outcome{color:#c62828;font-weight:600}.reason{max-width:40em;word-break:break-word}.when{white-space:nowrap}"
      + "footer{padding:16px 24px;color:#5f6b76;font-size:13px}";
}
