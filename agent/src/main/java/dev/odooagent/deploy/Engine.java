package dev.odooagent.deploy;

import dev.odooagent.event.Trigger;
import dev.odooagent.event.TriggerSink;
import dev.odooagent.event.Validation;
import dev.odooagent.event.Verdict;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.odoo.Observation;
import dev.odooagent.policy.FleetGate;
import dev.odooagent.policy.Hold;
import dev.odooagent.policy.TriggerPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place deploys are started: one at a time, triggers coalesced so the latest wins (a settle window absorbs
 * bursts), pins honoured, operator commands validated. An accepted trigger that approval mode or the maintenance window
 * holds becomes the pending version (durable, the newest wins) until an operator approves it or the window opens.
 * Runs on the event loop.
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
  private final Supplier<String> engineProblem;
  private final Duration settle;
  private final Context context;
  private final Hold hold;
  private final Clock clock;
  private FleetGate fleet = FleetGate.ALONE;
  private DeployRun queued;
  private DeployRun current;
  /** Counts holds and drops of the pending version, so that a slow digest lookup cannot revive a superseded one. */
  private final AtomicLong holds = new AtomicLong();
  private long settleTimer = -1;
  private boolean running;
  /** False until {@link #recover} has run: no trigger may start a deploy over a host that an interrupted one left. */
  private boolean recovered;

  /**
   * An engine over the deployer; {@code settle} is how long a trigger waits for a newer one before it starts, and
   * {@code hold} says when an accepted trigger must wait as pending instead.
   */
  public Engine(Vertx vertx, String hostId, String track, Deployer deployer, Resolver resolver, Journal journal,
      StateStore store, Metrics metrics, TriggerPolicy policy, AgentState.Machine machine, Supplier<Observation> observed,
      Supplier<String> engineProblem, Duration settle, Hold hold, Clock clock) {
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
    this.engineProblem = engineProblem;
    this.settle = settle;
    this.hold = hold;
    this.clock = clock;
    // queued, running and the settle timer are only touched on this one context
    this.context = vertx.getOrCreateContext();
    metrics.set("odoo_agent_pinned", store.pinned() != null);
    metrics.set("odoo_agent_deploy_in_progress", false);
    metrics.set("odoo_agent_failed", store.failed() != null);
    metrics.set("odoo_agent_pending", store.pending() != null);
  }

  /** Makes automatic deploys wait for the earlier waves of this host's fleet group; call before any trigger. */
  public Engine withFleet(FleetGate gate) {
    this.fleet = gate;
    return this;
  }

  /**
   * Why an automatic deploy of {@code digest} must wait now: approval, the window, or the fleet's earlier waves (a
   * digest still unknown waits to be resolved first, so that the wave check can name it). Null when it may start.
   */
  private String holdReason(String digest) {
    String why = hold.reason(clock.instant());
    if (why != null || !fleet.gated()) {
      return why;
    }
    if (digest == null) {
      return "fleet: it waits for the earlier waves of the group (checked once its digest is resolved; see /status.fleet)";
    }
    FleetGate.Wait wait = fleet.check(digest, clock.instant());
    return wait == null ? null : wait.reason();
  }

  /**
   * Finishes a deploy interrupted by a crash, if the journal has one; completes when converged. Triggers that arrive
   * before then wait in the queue: a listener may be bound before the journal is read.
   */
  public Future<Void> recover() {
    JsonObject unfinished = journal.unfinished();
    Future<Void> converged = Future.succeededFuture();
    if (unfinished != null) {
      running = true;
      metrics.set("odoo_agent_deploy_in_progress", true);
      converged = deployer.resume(unfinished).onComplete(x -> context.runOnContext(v -> finished())).mapEmpty();
    }
    return converged.onComplete(x -> context.runOnContext(v -> {
      recovered = true;
      next();
    }));
  }

  /** Drops the kept safety copy once deploy.keep_copy has passed, unless a deploy runs or waits. */
  public Future<Void> expireKeptCopy() {
    if (busy()) {
      return Future.succeededFuture();
    }
    return deployer.expireKeptCopy(Instant.now()).otherwise(e -> {
      LOG.warn("could not expire the kept safety copy: {}", e.getMessage());
      return null;
    });
  }

  @Override
  public Verdict offer(Trigger t) {
    TriggerPolicy.Decision d = policy.judge(t, store);
    if (!d.accepted()) {
      LOG.info("{} trigger for {} ignored: {}", t.source().label(), t.tag(), d.reason());
      return Verdict.IGNORED;
    }
    if (t.digest() != null && (inFlight(current, t.digest()) || inFlight(queued, t.digest()))) {
      // the poll and a webhook often name the digest a deploy is already moving to: one deploy is enough
      LOG.info("{} trigger for {} ignored: {} is already being deployed", t.source().label(), t.tag(), t.digest());
      return Verdict.IGNORED;
    }
    String why = holdReason(t.digest());
    JsonObject waiting = store.pending();
    if (why != null && t.digest() != null && waiting != null && t.digest().equals(waiting.getString("digest"))) {
      LOG.debug("{} trigger for {} ignored: {} is already pending", t.source().label(), t.tag(), t.digest());
      return Verdict.IGNORED;
    }
    DeployRun r = DeployRun.start(newId(), t.source().label(), DeployRun.Kind.TRIGGER, t.receivedAt(),
        new DeployRun.Image(t.tag(), t.digest()));
    if (why != null) {
      // held before the queue, so that it cannot replace an operator's command waiting there
      context.runOnContext(v -> hold(r, why));
    } else {
      enqueue(r, true);
    }
    return Verdict.ACCEPTED;
  }

  @Override
  public Future<String> approve(String source) {
    JsonObject p = store.pending();
    if (p == null) {
      return Future.failedFuture(new IllegalStateException("nothing is pending: no automatic deploy waits for approval or "
          + "the maintenance window (see pending in `odoo-agent status --json`)"));
    }
    String digest = p.getString("digest");
    String backwards = digest == null ? null : policy.backwards(digest, store);
    if (backwards != null) {
      return dropPending(p, backwards).compose(x -> Future.failedFuture(new IllegalStateException("the pending version "
          + label(p) + " was dropped, not deployed: " + backwards)));
    }
    LOG.info("{} approved the pending {}", source, label(p));
    return deploy(p.getString("tag"), digest, false, source).compose(id -> dropPending(p, "approved by " + source).map(id));
  }

  /**
   * Checks the pending version: drops it when it may never start automatically (rolled back here, left, or already
   * running), and starts it once neither approval nor the window holds it and no deploy runs. Called by a timer.
   */
  public void releaseDue() {
    context.runOnContext(v -> release());
  }

  private void release() {
    JsonObject p = store.pending();
    if (p == null) {
      return;
    }
    String digest = p.getString("digest");
    String backwards = digest == null ? null : policy.backwards(digest, store);
    if (backwards != null || (digest != null && digest.equals(runningDigest()))) {
      dropPending(p, backwards != null ? backwards : "it already runs");
      return;
    }
    if (busy() || hold.reason(clock.instant()) != null || !fleetAdmits(p)) {
      return;
    }
    TriggerPolicy.Decision d = policy.admit(digest, store);
    if (!d.accepted()) {
      // a FAILED verdict: automatic deploys wait for an operator, and so does the pending version
      return;
    }
    LOG.info("{}: deploying the pending {}", hold.window().always() ? "no longer held" : "the maintenance window "
        + hold.window() + " is open", label(p));
    dropPending(p, null);
    enqueue(DeployRun.start(newId(), p.getString("source"), DeployRun.Kind.TRIGGER, Instant.now(),
        new DeployRun.Image(p.getString("tag"), digest)), false);
  }

  /**
   * Whether the fleet's waves let the pending version start now; once this host gives up on its digest
   * (fleet.wave_timeout), the digest is refused here for good, like a rolled-back one, and the pending version dropped.
   */
  private boolean fleetAdmits(JsonObject p) {
    if (!fleet.gated()) {
      return true;
    }
    String digest = p.getString("digest");
    FleetGate.Wait wait = digest == null ? new FleetGate.Wait("its digest is not resolved", false)
        : fleet.check(digest, clock.instant());
    if (wait != null && wait.gaveUp()) {
      LOG.warn("{}", wait.reason());
      store.rejected(digest, wait.reason()).onComplete(x -> dropPending(p, wait.reason()));
    }
    return wait == null;
  }

  /** Makes {@code r} the pending version, its digest resolved so that status and approval name exactly what waits. */
  private void hold(DeployRun r, String why) {
    long seq = holds.incrementAndGet();
    Future<String> digest = r.to().digest() != null ? Future.succeededFuture(r.to().digest())
        : resolver.digestOf(r.to().tag()).otherwise(e -> {
          LOG.warn("cannot resolve {} now ({}); it waits by tag", r.to().tag(), e.getMessage());
          return null;
        });
    digest.onComplete(ar -> context.runOnContext(v -> {
      if (seq != holds.get()) {
        return;
      }
      String d = ar.result();
      String ignored = d == null ? null : d.equals(runningDigest()) ? d + " already runs" : policy.backwards(d, store);
      if (ignored != null) {
        LOG.info("{} trigger for {} ignored: {}", r.source(), r.to().tag(), ignored);
        return;
      }
      JsonObject before = store.pending();
      JsonObject p = new JsonObject().put("tag", r.to().tag()).put("digest", d).put("source", r.source())
          .put("since", r.started().toString());
      LOG.info("{} of {} is pending{}: {}", r.source(), label(p), before == null ? "" : " (replaces " + label(before) + ")", why);
      Future<Void> saved = setPending(p);
      if (fleet.gated()) {
        // a digest resolved only now may find the earlier waves already done with it
        saved.onComplete(x -> context.runOnContext(y -> release()));
      }
    }));
  }

  /** Drops {@code which} pending version (null: whichever pends) if it still pends; {@code why} is logged. */
  private Future<Void> dropPending(JsonObject which, String why) {
    JsonObject p = store.pending();
    if (p == null || (which != null && !which.equals(p))) {
      return Future.succeededFuture();
    }
    holds.incrementAndGet();
    if (why != null) {
      LOG.info("pending {} dropped: {}", label(p), why);
    }
    return setPending(null);
  }

  private Future<Void> setPending(JsonObject p) {
    Future<Void> saved = store.pending(p);
    metrics.set("odoo_agent_pending", p != null);
    return saved;
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
    DeployRun r = DeployRun.start(newId(), source, DeployRun.Kind.OPERATOR, Instant.now(), new DeployRun.Image(tag, digest));
    return operatorActs(source).map(x -> {
      enqueue(r, false);
      return r.id();
    });
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
      return store.pin(new JsonObject().put("tag", t).put("digest", resolved)).compose(x -> operatorActs(source)).map(x -> {
        metrics.set("odoo_agent_pinned", true);
        LOG.info("pinned to {}@{} by {}", t, resolved, source);
        dropPending(null, "pinned to " + t + "@" + resolved + " by " + source);
        if (resolved.equals(runningDigest())) {
          return (String) null;
        }
        DeployRun r = DeployRun.start(newId(), source, DeployRun.Kind.OPERATOR, Instant.now(), new DeployRun.Image(t, resolved));
        enqueue(r, false);
        return r.id();
      });
    });
  }

  @Override
  public Future<String> unpin(String source) {
    return store.pin(null).compose(x -> operatorActs(source)).compose(x -> {
      metrics.set("odoo_agent_pinned", false);
      LOG.info("unpinned by {}; following {} again", source, track);
      return resolver.digestOf(track);
    }).map(head -> {
      if (head.equals(runningDigest())) {
        return null;
      }
      // the operator asked to follow the channel again, even back to an older head; but not onto one rolled back here
      String rejected = store.rejectedBy(head);
      if (rejected != null) {
        LOG.info("unpinned; {} points at {}, not deployed: it was rolled back on this host ({}); deploy it explicitly to retry",
            track, head, rejected);
        return null;
      }
      DeployRun r = DeployRun.start(newId(), source, DeployRun.Kind.OPERATOR, Instant.now(), new DeployRun.Image(track, head));
      enqueue(r, false);
      return r.id();
    });
  }

  @Override
  public JsonObject rollbackPlan() {
    JsonObject prev = store.previous();
    JsonObject cur = store.current();
    JsonObject plan = new JsonObject().put("from", cur == null ? null : new JsonObject().put("tag", cur.getString("tag"))
        .put("digest", cur.getString("digest"))).put("to", prev);
    if (prev == null || prev.getString("digest") == null) {
      return plan.put("error", "no previous image is recorded; nothing to roll back to");
    }
    JsonArray upgraded = cur == null ? new JsonArray() : cur.getJsonArray("upgraded", new JsonArray());
    plan.put("upgraded", upgraded).put("needs_choice", !upgraded.isEmpty());
    if (upgraded.isEmpty()) {
      return plan.put("options", new JsonObject().put("code_only", "stays as it is: the running version upgraded no module, so "
          + label(prev) + " runs on the database it ran on before"));
    }
    JsonObject kept = store.keptCopy();
    boolean usable = kept != null && kept.getJsonObject("to", new JsonObject()).getString("digest", "").equals(cur.getString("digest"));
    String modules = String.join(",", upgraded.stream().map(String::valueOf).toList());
    JsonObject options = new JsonObject()
        .put("code_only", "keeps the database as it is: " + label(prev) + " runs on the schema that " + modules
            + " were upgraded to, and Odoo does not downgrade modules, so the older code may fail on it");
    if (usable) {
      options.put("restore_database", "puts back the database and filestore as they were at " + kept.getString("taken")
          + " (before deploy " + kept.getString("deploy_id") + "): every row and file written since then is lost");
    } else {
      plan.put("restore_unavailable", "the safety copy taken before the upgrade is gone (deploy.keep_copy passed, or "
          + "deploy.snapshot is none)");
    }
    return plan.put("options", options);
  }

  @Override
  public Future<String> rollback(RollbackMode mode, String source) {
    JsonObject plan = rollbackPlan();
    if (plan.getString("error") != null) {
      return Future.failedFuture(new IllegalStateException(plan.getString("error")));
    }
    JsonObject options = plan.getJsonObject("options");
    boolean choice = plan.getBoolean("needs_choice");
    if (choice && mode == RollbackMode.UNSPECIFIED) {
      return Future.failedFuture(new IllegalStateException("the running version upgraded modules "
          + plan.getJsonArray("upgraded").encode() + "; say how to roll back: --restore-database "
          + (options.containsKey("restore_database") ? "(" + options.getString("restore_database") + ")" : "(unavailable: "
          + plan.getString("restore_unavailable") + ")") + " or --code-only (" + options.getString("code_only") + ")"));
    }
    if (mode == RollbackMode.RESTORE_DATABASE && !options.containsKey("restore_database")) {
      return Future.failedFuture(new IllegalStateException(choice ? "cannot restore the database: "
          + plan.getString("restore_unavailable") + "; use --code-only" : "nothing to restore: the running version upgraded no module; "
          + "roll back without --restore-database"));
    }
    boolean restore = mode == RollbackMode.RESTORE_DATABASE;
    JsonObject prev = plan.getJsonObject("to");
    DeployRun r = DeployRun.start(newId(), source, restore ? DeployRun.Kind.ROLLBACK_RESTORE : DeployRun.Kind.ROLLBACK_CODE_ONLY,
        Instant.now(), new DeployRun.Image(prev.getString("tag"), prev.getString("digest")))
        .planned(List.of(), null, restore ? store.keptCopy().getString("name") : null);
    JsonObject from = plan.getJsonObject("from");
    // refused to automatic triggers from the moment the operator asks, so that none can slip in while the rollback runs
    Future<Void> refused = from == null || from.getString("digest") == null ? Future.succeededFuture()
        : store.rejected(from.getString("digest"), "rolled back by an operator in deploy " + r.id());
    return refused.compose(x -> operatorActs(source)).map(x -> {
      enqueue(r, false);
      return r.id();
    });
  }

  /** An operator acted: a FAILED verdict no longer holds the host. */
  private Future<Void> operatorActs(String source) {
    JsonObject f = store.failed();
    if (f == null) {
      return Future.succeededFuture();
    }
    LOG.info("{} acted on FAILED deploy {}; automatic deploys resume after this command", source, f.getString("deploy_id"));
    return store.failed(null).onSuccess(x -> context.runOnContext(v -> {
      metrics.set("odoo_agent_failed", false);
      if (machine.state() == AgentState.FAILED && !running) {
        machine.transition(AgentState.IDLE);
      }
    }));
  }

  /** Queues a request; a queued one it replaces is counted skipped. Triggers wait out the settle window. */
  private void enqueue(DeployRun r, boolean settleFirst) {
    context.runOnContext(v -> {
      if (queued != null) {
        LOG.info("deploy {} of {} superseded by {} of {}", queued.id(), queued.to().tag(), r.id(), r.to().tag());
        metrics.deployment("skipped", null);
      }
      queued = r;
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
    if (!recovered || running || queued == null || settleTimer >= 0) {
      return;
    }
    DeployRun r = queued;
    queued = null;
    if (!r.kind().operator()) {
      // the window may have closed, or the waves moved on, while this trigger waited behind another deploy
      String why = holdReason(r.to().digest());
      if (why != null) {
        hold(r, why);
        return;
      }
      dropPending(null, "a newer automatic deploy, of " + r.to().tag() + ", starts now");
    }
    running = true;
    current = r;
    metrics.set("odoo_agent_deploy_in_progress", true);
    deployer.run(r).onComplete(x -> context.runOnContext(v -> finished()));
  }

  private static boolean inFlight(DeployRun r, String digest) {
    return r != null && digest.equals(r.to().digest());
  }

  private void finished() {
    running = false;
    current = null;
    metrics.set("odoo_agent_deploy_in_progress", false);
    next();
    release();
  }

  /**
   * Stops taking work: nothing queued starts, and the running deploy stops at its next step boundary; completes once it
   * has, or after {@code grace}, whichever is first.
   */
  public Future<Void> quiesce(Duration grace) {
    deployer.quiesce();
    Promise<Void> idle = Promise.promise();
    long timer = vertx.setPeriodic(100, id -> {
      if (!running) {
        idle.tryComplete();
      }
    });
    vertx.setTimer(grace.toMillis(), id -> idle.tryComplete());
    return idle.future().onComplete(x -> vertx.cancelTimer(timer));
  }

  /** Whether a deploy runs or waits. */
  public boolean busy() {
    return running || queued != null;
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
      cur = current == null ? null : new JsonObject().put("tag", current.getString("tag")).put("digest", current.getString("digest"))
          .put("since", current.getString("since"));
    }
    JsonObject prev = store.previous();
    JsonObject failed = store.failed();
    if (failed != null) {
      failed.put("action", "an operator must act: read the reason, then `odoo-agent rollback`, `odoo-agent deploy TAG` or "
          + "`odoo-agent pin TAG`; automatic deploys wait until then");
    }
    JsonArray notReady = new JsonArray();
    if (engineProblem.get() != null) {
      notReady.add("the container engine does not answer: " + engineProblem.get());
    }
    if (failed != null) {
      notReady.add("FAILED: " + failed.getString("reason"));
    }
    return new JsonObject()
        .put("host", hostId)
        .put("state", failed != null && machine.state() != AgentState.DEPLOYING ? AgentState.FAILED.word() : machine.state().word())
        .put("ready", notReady.isEmpty())
        .put("not_ready", notReady)
        .put("failed", failed)
        .put("deploy_in_progress", running)
        .put("current", cur)
        .put("previous", prev == null ? null : new JsonObject().put("tag", prev.getString("tag")).put("digest", prev.getString("digest")))
        .put("pinned", pinView(store.pinned()))
        .put("pending", pendingView())
        .put("fleet", fleet.view(pendingDigest(), clock.instant()))
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

  private JsonObject pendingView() {
    JsonObject p = store.pending();
    if (p == null) {
      return null;
    }
    Instant now = clock.instant();
    String why = hold.reason(now);
    if (why == null && fleet.gated()) {
      JsonObject f = fleet.view(p.getString("digest"), now);
      why = f != null && f.getBoolean("waiting", false) ? f.getString("reason") : null;
    }
    // while nothing holds it (it starts at the next check) there is no opening to wait for
    Instant opens = why == null ? null : hold.nextOpening(now);
    TriggerPolicy.Decision admitted = policy.admit(p.getString("digest"), store);
    if (why == null && !admitted.accepted()) {
      why = admitted.reason();
    }
    return new JsonObject().put("tag", p.getString("tag")).put("digest", p.getString("digest"))
        .put("reason", why != null ? why : "no longer held: it starts within a minute, once no other deploy runs")
        .put("next_opening", opens == null ? null : opens.toString()).put("since", p.getString("since"))
        .put("source", p.getString("source"));
  }

  private String pendingDigest() {
    JsonObject p = store.pending();
    return p == null ? null : p.getString("digest");
  }

  private static JsonObject pinView(JsonObject pin) {
    return pin == null ? null : new JsonObject().put("tag", pin.getString("tag")).put("digest", pin.getString("digest"));
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
