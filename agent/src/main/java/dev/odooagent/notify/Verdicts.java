package dev.odooagent.notify;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the deployer's verdict events into whole verdicts. The event names the deploy and its outcome; the reason,
 * the versions and the times are read from the deploy's journal summary once the verdict is journaled.
 */
public final class Verdicts implements Consumer<JsonObject> {
  private static final Logger LOG = LoggerFactory.getLogger(Verdicts.class);
  private static final long LOOK_EVERY_MS = 100;
  private static final int LOOKS = 100;

  private final Vertx vertx;
  private final String host;
  private final IntFunction<JsonArray> history;
  private final List<Consumer<DeployVerdict>> listeners = new CopyOnWriteArrayList<>();

  /** Verdicts for {@code host}, completed from {@code history} (newest first, as /history). */
  public Verdicts(Vertx vertx, String host, IntFunction<JsonArray> history) {
    this.vertx = vertx;
    this.host = host;
    this.history = history;
  }

  /** Adds a listener; each hears every verdict once. */
  public Verdicts listen(Consumer<DeployVerdict> listener) {
    listeners.add(listener);
    return this;
  }

  /** Takes one deploy event; only {@code step: verdict} ones matter here. */
  @Override
  public void accept(JsonObject event) {
    if (!"verdict".equals(event.getString("step"))) {
      return;
    }
    JsonObject summary = new JsonObject().put("id", event.getString("deploy_id")).put("outcome", event.getString("state"))
        .put("from", event.getJsonObject("from")).put("to", event.getJsonObject("to")).put("reason", event.getString("reason"))
        .put("started", event.getString("started")).put("finished", event.getString("finished")).put("source", event.getString("source"));
    if (summary.getString("finished") != null) {
      deliver(summary);
    } else {
      // the deployer journals the verdict just after it emits the event
      look(summary, LOOKS);
    }
  }

  private void look(JsonObject fromEvent, int left) {
    for (Object o : history.apply(10)) {
      JsonObject d = (JsonObject) o;
      if (fromEvent.getString("id").equals(d.getString("id"))) {
        deliver(d);
        return;
      }
    }
    if (left > 0) {
      vertx.setTimer(LOOK_EVERY_MS, t -> look(fromEvent, left - 1));
    } else {
      LOG.warn("deploy {}: its verdict is not in the journal; reporting it without reason or duration", fromEvent.getString("id"));
      deliver(fromEvent);
    }
  }

  private void deliver(JsonObject summary) {
    DeployVerdict v = DeployVerdict.of(host, summary);
    for (Consumer<DeployVerdict> l : listeners) {
      try {
        l.accept(v);
      } catch (RuntimeException e) {
        // a listener is a reporter: it must not keep the others from hearing
        LOG.warn("deploy {}: a verdict listener failed: {}", v.id(), e.toString());
      }
    }
  }
}
