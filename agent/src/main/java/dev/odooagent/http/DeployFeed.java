package dev.odooagent.http;

import dev.odooagent.deploy.Commands;
import dev.odooagent.notify.DeployVerdict;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The recent deploys' step events, for following one deploy as it happens: {@code GET /deploys/{id}/events} streams
 * them as server-sent events, one JSON object per {@code data:} line, and ends after the verdict.
 */
public final class DeployFeed {
  private static final int KEEP_DEPLOYS = 20;
  private static final int KEEP_EVENTS = 2000;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,80}");
  private static final long TICK_MS = 1000;
  private static final int KEEPALIVE_TICKS = 15;
  /** Seconds an unknown deploy may stay unknown while no deploy runs, before the stream says so and ends. */
  private static final int UNKNOWN_TICKS = 3;

  private final Vertx vertx;
  private final Map<String, Trail> trails = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Trail> eldest) {
      return size() > KEEP_DEPLOYS;
    }
  };

  /** What one deploy has said so far, and who follows it. */
  private static final class Trail {
    final List<JsonObject> events = new ArrayList<>();
    final List<Consumer<JsonObject>> followers = new ArrayList<>();
    boolean ended;
  }

  /** An empty feed. */
  public DeployFeed(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Takes one step event of the deployer; verdict events wait for {@link #verdict}, which carries the reason. */
  public synchronized void event(JsonObject e) {
    String id = e.getString("deploy_id");
    if (id == null || "verdict".equals(e.getString("step"))) {
      return;
    }
    Trail t = trails.computeIfAbsent(id, x -> new Trail());
    if (t.events.size() < KEEP_EVENTS) {
      t.events.add(e);
    }
    t.followers.forEach(f -> f.accept(e));
  }

  /** Ends a deploy's stream with its whole verdict. */
  public synchronized void verdict(DeployVerdict v) {
    JsonObject e = verdictEvent(v);
    Trail t = trails.computeIfAbsent(v.id(), x -> new Trail());
    t.events.add(e);
    t.ended = true;
    t.followers.forEach(f -> f.accept(e));
    t.followers.clear();
  }

  static JsonObject verdictEvent(DeployVerdict v) {
    return v.toJson().put("step", "verdict").put("state", v.outcome()).put("at", v.finished());
  }

  /** Replays what is known of {@code id} to {@code sink} and subscribes it; returns whether the deploy has ended. */
  synchronized boolean follow(String id, Consumer<JsonObject> sink) {
    Trail t = trails.computeIfAbsent(id, x -> new Trail());
    t.events.forEach(sink);
    if (!t.ended) {
      t.followers.add(sink);
    }
    return t.ended;
  }

  synchronized void unfollow(String id, Consumer<JsonObject> sink) {
    Trail t = trails.get(id);
    if (t != null) {
      t.followers.remove(sink);
    }
  }

  synchronized boolean heardOf(String id) {
    Trail t = trails.get(id);
    return t != null && !t.events.isEmpty();
  }

  /** The route: streams one deploy's events; a deploy that already ended is answered from memory or the journal. */
  void handle(RoutingContext ctx, Commands commands) {
    String id = ctx.pathParam("id");
    HttpServerResponse res = ctx.response();
    if (id == null || !ID.matcher(id).matches()) {
      res.setStatusCode(400).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("error", "not a deploy id: use the deploy_id a command answered, e.g. 20260101-120000-1a2b").encode());
      return;
    }
    res.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8").putHeader("Cache-Control", "no-store")
        .putHeader("X-Content-Type-Options", "nosniff");
    res.write(": following deploy " + id + "\n\n");
    if (!heardOf(id)) {
      JsonObject journaled = journaled(commands, id);
      if (journaled != null) {
        send(res, verdictEvent(DeployVerdict.of(commands.status().getString("host"), journaled)));
        res.end();
        return;
      }
    }
    long[] timer = {-1};
    int[] ticks = {0, 0};
    Consumer<JsonObject> sink = e -> {
      send(res, e);
      if ("verdict".equals(e.getString("step"))) {
        vertx.cancelTimer(timer[0]);
        res.end();
      }
    };
    // a closed connection stops following; the deploy goes on
    res.closeHandler(x -> {
      vertx.cancelTimer(timer[0]);
      unfollow(id, sink);
    });
    timer[0] = vertx.setPeriodic(TICK_MS, t -> {
      if (++ticks[0] % KEEPALIVE_TICKS == 0) {
        res.write(": still going\n\n");
      }
      // not started, not running, not journaled: superseded by a newer command, or never queued here
      boolean idle = !heardOf(id) && !commands.status().getBoolean("deploy_in_progress", false) && journaled(commands, id) == null;
      ticks[1] = idle ? ticks[1] + 1 : 0;
      if (ticks[1] >= UNKNOWN_TICKS) {
        unfollow(id, sink);
        sink.accept(new JsonObject().put("deploy_id", id).put("step", "verdict").put("state", "unknown").put("reason",
            "deploy " + id + " is not running, queued or in the recent history: a newer command replaced it, or the agent restarted"
                + " before it started (see odoo-agent history)"));
      }
    });
    if (follow(id, sink)) {
      vertx.cancelTimer(timer[0]);
    }
  }

  private static JsonObject journaled(Commands commands, String id) {
    for (Object o : commands.history(50)) {
      if (id.equals(((JsonObject) o).getString("id"))) {
        return (JsonObject) o;
      }
    }
    return null;
  }

  private static void send(HttpServerResponse res, JsonObject e) {
    if (!res.ended() && !res.closed()) {
      res.write("data: " + e.encode() + "\n\n");
    }
  }
}
