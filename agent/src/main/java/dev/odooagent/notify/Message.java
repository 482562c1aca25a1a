package dev.odooagent.notify;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** The JSON body of a verdict notification: the structured fields plus a {@code text} line Slack, Mattermost and Rocket.Chat show as is. */
public final class Message {
  private static final int MAX_REASON = 1000;
  private static final int MAX_TEXT_REASON = 300;

  private Message() {}

  /** The body for {@code v}; any of {@code secrets} that shows up in a field is replaced by {@code ****}. */
  public static JsonObject of(DeployVerdict v, List<String> secrets) {
    String reason = v.reason() == null ? null : redact(cut(v.reason(), MAX_REASON), secrets);
    DeployVerdict clean = new DeployVerdict(v.host(), v.id(), v.outcome(), v.from(), v.to(), reason, v.duration(), v.source(), v.finished());
    return clean.toJson().put("text", redact(text(clean), secrets));
  }

  /** One human line, e.g. {@code :rewind: odoo-prod-1 rolled back sha-b2 (back on sha-a1) after 42 s: health gate failed}. */
  static String text(DeployVerdict v) {
    String host = v.host();
    String to = label(v.to());
    String from = label(v.from());
    String took = v.duration() == null ? "" : " after " + seconds(v) + " s";
    String why = v.reason() == null || v.reason().isBlank() ? "" : ": " + cut(v.reason(), MAX_TEXT_REASON);
    String line = switch (v.outcome() == null ? "" : v.outcome()) {
      case "success" -> ":white_check_mark: " + host + " now runs " + to + " (was " + from + ")" + (took.isEmpty() ? "" : ", deployed in " + seconds(v) + " s") + why;
      case "rolled_back" -> ":rewind: " + host + " rolled back " + to + " and runs " + from + " again" + took + why;
      case "failed" -> ":x: " + host + " could not deploy " + to + took + why;
      case "skipped" -> ":fast_forward: " + host + " skipped " + to + why;
      default -> host + " deploy of " + to + ": " + v.outcome() + why;
    };
    return escape(line + " (deploy " + v.id() + ")");
  }

  private static String label(DeployVerdict.Image i) {
    return i == null ? "?" : i.label();
  }

  private static String seconds(DeployVerdict v) {
    return String.valueOf(Math.round(v.duration().toMillis() / 1000.0));
  }

  /** Slack's required escapes; they also keep a reason from forming a link or a mention. */
  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  static String redact(String s, List<String> secrets) {
    String out = s;
    for (String secret : secrets) {
      // shorter values would blank out ordinary words
      if (secret != null && secret.length() >= 6) {
        out = out.replace(secret, "****");
      }
    }
    return out;
  }
}
