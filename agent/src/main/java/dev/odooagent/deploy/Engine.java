package dev.odooagent.deploy;

import dev.odooagent.event.Trigger;
import dev.odooagent.event.TriggerSink;
import dev.odooagent.event.Validation;
import dev.odooagent.event.Verdict;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.odoo.Observation;
import dev.odooagent.policy.TriggerPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place deploys are started: one at a time, triggers coalesced so the latest wins (a settle window absorbs
 * bursts), pins honoured, operator commands validated. Runs on the event loop.
 */
public final class Engine implements Commands, TriggerSink {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
  private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final Vertx vertx;
  private final String hostId;
  private final String track;
  private final Deployer deployer;
  private final Resolver resolver;
  private final Journal journal;
  private final StateStore store;
  private final Metrics metrics;
  private final TriggerPolicy policy;
  private final AgentState.Machine machine;
  private final Supplier<Observation> observed;
  private final Duration settle;
  private final Context context;
  private Deployer.Request pending;
  private long settleTimer = -1;
  private boolean running;

  /** An engine over the deployer; {@code settle} is how long a trigger waits for a newer one before it starts. */
  public Engine(Vertx vertx, String hostId, String track, Deployer deployer, Resolver resolver, Journal journal,
      StateStore store, Metrics metrics, TriggerPolicy policy, AgentState.Machine machine, Supplier<Observation> observed,
      Duration settle) {
    this.vertx = vertx;
    this.hostId = hostId;
    this.track = track;
    this.deployer = deployer;
    this.resolver = resolver;
    this.journal = journal;
    this.store = store;
    this.metrics = metrics;
    this.policy = policy;
    this.machine = machine;
    this.observed = observed;
    this.settle = settle;
    // pending, running and the settle timer are only touched on this one context
    this.context = vertx.getOrCreateContext();
    metrics.set("odoo_agent_pinned", store.pinned() != null);
    metrics.set("odoo_agent_deploy_in_progress", false);
    metrics.set("odoo_agent_failed", false);
  }

  /** Finishes a deploy interrupted by a crash, if the journal has one; completes when converged. */
  public Future<Void> recover() {
    JsonObject unfinished = journal.unfinished();
    if (unfinished == null) {
      return Future.succeededFuture();
    }
    running = true;
    metrics.set("odoo_agent_deploy_in_progress", true);
    return deployer.resume(unfinished).onComplete(x -> context.runOnContext(v -> finished())).mapEmpty();
  }

  @Override
  public Verdict offer(Trigger t) {
    String rejectedBy = store.rejectedBy(t.digest());
    if (rejectedBy != null) {
      // without this the poll would redeploy a rolled-back channel head every interval
      LOG.info("{} trigger for {} ignored: {} was rolled back by deploy {}; deploy it explicitly to retry",
          t.source().label(), t.tag(), t.digest(), rejectedBy);
      return Verdict.IGNORED;
    }
    if (machine.state() == AgentState.FAILED) {
      // a rollback failed its gate too: retrying on every event or poll would stop and start the service in a loop
      LOG.warn("{} trigger for {} ignored: the last rollback failed; an operator must deploy, pin or roll back", t.source().label(), t.tag());
      return Verdict.IGNORED;
    }
    TriggerPolicy.Decision d = policy.judge(t, store.pinned() != null);
    if (!d.accepted()) {
      LOG.info("{} trigger for {} ignored: {}", t.source().label(), t.tag(), d.reason());
      return Verdict.IGNORED;
    }
    enqueue(new Deployer.Request(newId(), t.source().label(), t.tag(), t.digest(), false, t.receivedAt()), true);
    return Verdict.ACCEPTED;
  }

  @Override
  public Future<String> deploy(String tag, String digest, boolean force, String source) {
    try {
      validate(tag, digest);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    JsonObject pin = store.pinned();
    if (pin != null && !force && !matches(pin, tag, digest)) {
      return Future.failedFuture(new IllegalStateException("pinned to " + label(pin) + "; unpin first, or deploy with --force"));
    }
    Deployer.Request r = new Deployer.Request(newId(), source, tag, digest, false, Instant.now());
    enqueue(r, false);
    return Future.succeededFuture(r.id());
  }

  @Override
  public Future<String> pin(String tag, String digest, String source) {
    try {
      validate(tag, digest);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Future<String> d = digest != null ? Future.succeededFuture(digest) : resolver.digestOf(tag);
    return d.compose(resolved -> {
      String t = tag != null ? tag : store.tagOf(resolved);
      store.pin(new JsonObject().put("tag", t).put("digest", resolved));
      metrics.set("odoo_agent_pinned", true);
      LOG.info("pinned to {}@{} by {}", t, resolved, source);
      if (resolved.equals(runningDigest())) {
        return Future.succeededFuture((String) null);
      }
      Deployer.Request r = new Deployer.Request(newId(), source, t, resolved, false, Instant.now());
      enqueue(r, false);
      return Future.succeededFuture(r.id());
    });
  }

  @Override
  public Future<String> unpin(String source) {
    store.pin(null);
    metrics.set("odoo_agent_pinned", false);
    LOG.info("unpinned by {}; following {} again", source, track);
    return resolver.digestOf(track).compose(head -> {
      if (head.equals(runningDigest())) {
        return Future.succeededFuture((String) null);
      }
      Deployer.Request r = new Deployer.Request(newId(), source, track, head, false, Instant.now());
      enqueue(r, false);
      return Future.succeededFuture(r.id());
    });
  }

  @Override
  public Future<String> rollback(String source) {
    JsonObject prev = store.previous();
    if (prev == null || prev.getString("digest") == null) {
      return Future.failedFuture(new IllegalStateException("no previous image is recorded; nothing to roll back to"));
    }
    Deployer.Request r = new Deployer.Request(newId(), source, prev.getString("tag"), prev.getString("digest"), true, Instant.now());
    enqueue(r, false);
    return Future.succeededFuture(r.id());
  }

  /** Queues a request; a queued one it replaces is counted skipped. Triggers wait out the settle window. */
  private void enqueue(Deployer.Request r, boolean settleFirst) {
    context.runOnContext(v -> {
      if (pending != null) {
        LOG.info("deploy {} of {} superseded by {} of {}", pending.id(), pending.tag(), r.id(), r.tag());
        metrics.deployment("skipped", null);
      }
      pending = r;
      if (settleTimer >= 0) {
        vertx.cancelTimer(settleTimer);
        settleTimer = -1;
      }
      if (settleFirst && !settle.isZero()) {
        settleTimer = vertx.setTimer(settle.toMillis(), t -> {
          settleTimer = -1;
          next();
        });
      } else {
        next();
      }
    });
  }

  private void next() {
    if (running || pending == null || settleTimer >= 0) {
      return;
    }
    Deployer.Request r = pending;
    pending = null;
    running = true;
    metrics.set("odoo_agent_deploy_in_progress", true);
    deployer.run(r).onComplete(x -> context.runOnContext(v -> finished()));
  }

  private void finished() {
    running = false;
    metrics.set("odoo_agent_deploy_in_progress", false);
    next();
  }

  /** Whether a deploy runs or waits. */
  public boolean busy() {
    return running || pending != null;
  }

  @Override
  public JsonObject status() {
    Observation o = observed.get();
    JsonObject current = store.current();
    JsonObject cur;
    if (observationIsNewer(o, current)) {
      boolean same = current != null && o.digest().equals(current.getString("digest"));
      cur = new JsonObject().put("tag", o.tag() != null ? o.tag() : same ? current.getString("tag") : null)
          .put("digest", o.digest()).put("since", same ? current.getString("since") : o.startedAt());
    } else {
      cur = current;
    }
    JsonObject prev = store.previous();
    return new JsonObject()
        .put("host", hostId)
        .put("state", machine.state().word())
        .put("deploy_in_progress", running)
        .put("current", cur)
        .put("previous", prev == null ? null : new JsonObject().put("tag", prev.getString("tag")).put("digest", prev.getString("digest")))
        .put("pinned", store.pinned())
        .put("health", o.healthWord())
        .put("last_deploy", journal.lastVerdict());
  }

  /**
   * Whether the observed container tells more than the agent's own record: it does unless it started before the
   * record was written (an observation of the container a deploy just replaced; the next one catches up).
   */
  private static boolean observationIsNewer(Observation o, JsonObject current) {
    if (o.digest() == null) {
      return false;
    }
    if (current == null || current.getString("since") == null || o.startedAt() == null) {
      return true;
    }
    try {
      return !Instant.parse(o.startedAt()).isBefore(Instant.parse(current.getString("since")))
          || o.digest().equals(current.getString("digest"));
    } catch (RuntimeException unparsable) {
      return true;
    }
  }

  @Override
  public JsonArray history(int limit) {
    return journal.history(limit);
  }

  private String runningDigest() {
    Observation o = observed.get();
    JsonObject c = store.current();
    if (o.running() && observationIsNewer(o, c)) {
      return o.digest();
    }
    return c == null ? null : c.getString("digest");
  }

  private static void validate(String tag, String digest) {
    if (tag == null && digest == null) {
      throw new IllegalArgumentException("give a tag or a digest");
    }
    if (tag != null) {
      Validation.requireTag(tag);
    }
    if (digest != null) {
      Validation.requireDigest(digest);
    }
  }

  private static boolean matches(JsonObject pin, String tag, String digest) {
    return digest != null ? digest.equals(pin.getString("digest")) : tag != null && tag.equals(pin.getString("tag"));
  }

  private static String label(JsonObject image) {
    return image.getString("tag") + "@" + image.getString("digest");
  }

  private static String newId() {
    return ID_TIME.format(Instant.now()) + "-" + Integer.toHexString(0x1000 + ThreadLocalRandom.current().nextInt(0xf000));
  }
}
