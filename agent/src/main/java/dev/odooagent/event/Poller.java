package dev.odooagent.event;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The safety net for lost events: every interval, looks up the channel tag and triggers when its digest is not running. */
public final class Poller {
  private static final Logger LOG = LoggerFactory.getLogger(Poller.class);
  private final Vertx vertx;
  private final String track;
  private final Duration interval;
  private final Function<String, Future<String>> resolve;
  private final Supplier<String> running;
  private final TriggerSink sink;
  private final EventCounter counter;
  private long timer = -1;
  private boolean busy;

  /** A poller of {@code track}; {@code running} tells the digest in service (null if unknown). */
  public Poller(Vertx vertx, String track, Duration interval, Function<String, Future<String>> resolve,
      Supplier<String> running, TriggerSink sink, EventCounter counter) {
    this.vertx = vertx;
    this.track = track;
    this.interval = interval;
    this.resolve = resolve;
    this.running = running;
    this.sink = sink;
    this.counter = counter;
  }

  /** Starts polling; an interval of 0 means off. */
  public void start() {
    if (!interval.isZero()) {
      timer = vertx.setPeriodic(interval.toMillis(), id -> poll());
    }
  }

  /** Stops polling. */
  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Polls once now. */
  public Future<Void> poll() {
    if (busy) {
      return Future.succeededFuture();
    }
    busy = true;
    return resolve.apply(track).map(digest -> {
      if (digest.equals(running.get())) {
        return null;
      }
      LOG.info("poll: {} now points at {}, which is not running", track, digest);
      Verdict v = sink.offer(new Trigger(Source.POLL, track, digest, null, Instant.now()));
      counter.count(Source.POLL, v == Verdict.ACCEPTED ? "accepted" : "ignored");
      return (Void) null;
    }).otherwise(e -> {
      LOG.warn("poll of {} failed: {}", track, e.getMessage());
      return null;
    }).onComplete(x -> busy = false);
  }
}
