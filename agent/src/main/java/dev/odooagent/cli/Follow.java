package dev.odooagent.cli;

import dev.odooagent.config.AgentConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/** Follows one deploy over {@code GET /deploys/{id}/events}, printing each step as it happens; its exit code is the verdict's. */
final class Follow {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  private final PrintWriter out;
  private final PrintWriter err;
  private final Map<String, Instant> started = new HashMap<>();

  Follow(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /** Streams deploy {@code id} from the agent of {@code cfg}; 0 on success or skipped, 1 on a rollback, a failure or a lost stream. */
  int follow(AgentConfig cfg, String id) throws IOException, InterruptedException {
    String host = cfg.http().listen().host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    URI uri = URI.create("http://" + host + ":" + cfg.http().listen().port() + "/deploys/" + id + "/events");
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // no request timeout: a deploy with a long module upgrade streams for many minutes
    HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build(),
        HttpResponse.BodyHandlers.ofLines());
    if (r.statusCode() != 200) {
      err.println("odoo-agent: cannot follow deploy " + id + ": HTTP " + r.statusCode() + " from " + uri.getPath());
      return 1;
    }
    out.println("following deploy " + id + " (Ctrl-C stops following, not the deploy)");
    out.flush();
    try (Stream<String> lines = r.body()) {
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (!line.startsWith("data:")) {
          continue;
        }
        Integer exit = show(new JsonObject(line.substring(5).trim()));
        out.flush();
        if (exit != null) {
          return exit;
        }
      }
    }
    err.println("odoo-agent: the agent closed the stream before deploy " + id + " had a verdict; see `odoo-agent history`");
    return 1;
  }

  /** Prints one event; returns the exit code once the verdict arrives, else null. */
  Integer show(JsonObject e) {
    String step = e.getString("step", "?");
    String state = e.getString("state", "?");
    Instant at = instant(e.getString("at"));
    String clock = at == null ? "        " : CLOCK.format(at);
    if (!step.equals("verdict")) {
      String what = state;
      if (state.equals("started") && at != null) {
        started.put(step, at);
      } else if (state.equals("done") && started.containsKey(step) && at != null) {
        what = "done in " + seconds(Duration.between(started.get(step), at));
      } else if (e.getString("detail") != null) {
        what = e.getString("detail");
      }
      out.printf("  %s  %-16s %s%n", clock, step, what);
      return null;
    }
    Double took = e.getDouble("duration_seconds");
    String versions = label(e.getJsonObject("from")) + " -> " + label(e.getJsonObject("to"));
    String reason = e.getString("reason");
    String line = state + ": " + versions + (took == null ? "" : " in " + String.format("%.1f s", took))
        + (reason == null || reason.isBlank() ? "" : ": " + reason);
    if (state.equals("success") || state.equals("skipped")) {
      out.println(line);
      return 0;
    }
    err.println("odoo-agent: deploy " + e.getString("deploy_id") + " " + line);
    return 1;
  }

  private static String seconds(Duration d) {
    return String.format("%.1f s", d.toMillis() / 1000.0);
  }

  private static String label(JsonObject i) {
    if (i == null) {
      return "?";
    }
    return i.getString("tag") != null ? i.getString("tag") : String.valueOf(i.getString("digest"));
  }

  private static Instant instant(String s) {
    try {
      return s == null ? null : Instant.parse(s);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
