package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who upgrades a database that several hosts serve ({@code service.shared_database}). The host that takes the lock and
 * finds no record of the digest leads: it records "started" under the lock, then snapshots and upgrades. The others
 * wait for its verdict and swap code only after a success, or never start the digest after a rollback. A record
 * "started" without a verdict (its leader stopped mid-upgrade) is waited for, never taken over.
 */
public final class Coordination {
  private static final Logger LOG = LoggerFactory.getLogger(Coordination.class);
  /** How often a waiting host looks again even without a notification. */
  static final Duration RECHECK = Duration.ofSeconds(5);
  private static final long MAX_RETRY_DELAY_MS = 15_000;

  private final Vertx vertx;
  private final SharedDatabase shared;
  private final String host;
  private final Duration recheck;

  /** Coordination of this {@code host} through {@code shared}. */
  public Coordination(Vertx vertx, SharedDatabase shared, String host) {
    this(vertx, shared, host, RECHECK);
  }

  Coordination(Vertx vertx, SharedDatabase shared, String host, Duration recheck) {
    this.vertx = vertx;
    this.shared = shared;
    this.host = host;
    this.recheck = recheck;
  }

  /** What a host does with a digest: lead its upgrade, follow a committed leader, or refuse it. */
  public enum Role { LEAD, FOLLOW, REFUSE }

  /** A role, and the leader's record behind a follow or a refusal. */
  public record Turn(Role role, SharedDatabase.Record leader) {}

  /**
   * Decides this deploy's role for {@code digest}, waiting (at most {@code patience}) while another host leads it.
   * An operator's deploy asked for at {@code since} retries a digest whose rollback was recorded before then; one
   * asked for while a leader tried it (a fleet-wide command) follows that leader's rollback like any trigger.
   * {@code waiting} hears each reason to wait.
   */
  Future<Turn> join(String digest, String deployId, boolean operator, Instant since, Duration patience, Consumer<String> waiting) {
    return attempt(digest, deployId, operator ? since : null, Instant.now().plus(patience), patience, waiting, null);
  }

  private Future<Turn> attempt(String digest, String deployId, Instant operatorSince, Instant deadline, Duration patience,
      Consumer<String> waiting, String lastReason) {
    return shared.tryLock().compose(held -> shared.read(digest).compose(rec -> {
      if (rec != null && rec.succeeded()) {
        return release(held).map(new Turn(Role.FOLLOW, rec));
      }
      if (rec != null && rec.decided() && (operatorSince == null || rec.at().isAfter(operatorSince))) {
        return release(held).map(new Turn(Role.REFUSE, rec));
      }
      if (held && (rec == null || rec.decided() || deployId.equals(rec.deployId()))) {
        return shared.started(digest, host, deployId).map(new Turn(Role.LEAD, null));
      }
      String why = rec == null ? "another host holds the database lock"
          : held ? "host " + rec.host() + " started " + digest + " in deploy " + rec.deployId() + " and gave no verdict (its agent "
              + "stopped mid-upgrade?); its recovery decides, so this host waits instead of upgrading a half-upgraded database"
          : "host " + rec.host() + " is upgrading the database to " + digest + " in deploy " + rec.deployId();
      return release(held).compose(x -> wait(digest, deployId, operatorSince, deadline, patience, waiting, lastReason, why));
    }).recover(e -> held ? shared.unlock().otherwise((Void) null).compose(x -> Future.failedFuture(e)) : Future.failedFuture(e)));
  }

  private Future<Turn> wait(String digest, String deployId, Instant operatorSince, Instant deadline, Duration patience,
      Consumer<String> waiting, String lastReason, String why) {
    if (!why.equals(lastReason)) {
      LOG.info("deploy {}: waiting: {}", deployId, why);
      waiting.accept(why);
    }
    if (Instant.now().isAfter(deadline)) {
      return Future.failedFuture(new DeployException.Refused(Step.COORDINATE, "waited " + patience.toMinutes() + " min for the "
          + "leader's verdict on " + digest + " and gave up; nothing was changed on this host (" + why + "). Start the leader's "
          + "agent so that it converges; the next trigger or `odoo-agent deploy` tries again"));
    }
    return shared.changed(digest, recheck).compose(x -> attempt(digest, deployId, operatorSince, deadline, patience, waiting, why));
  }

  private Future<Void> release(boolean held) {
    return held ? shared.unlock() : Future.succeededFuture();
  }

  /**
   * Publishes the verdict of a deploy that may have led {@code digest} (a no-op otherwise) and releases the lock:
   * success and rollbacks become the record the other hosts follow; a deploy that changed nothing forgets its record,
   * so another host may lead. Retried until {@code until} when {@code retry}; never fails.
   */
  Future<Void> finish(String digest, String deployId, String outcome, boolean changedHost, String reason, boolean retry, Instant until) {
    String state = switch (outcome) {
      case "success" -> SharedDatabase.SUCCESS;
      case "rolled_back" -> SharedDatabase.ROLLED_BACK;
      case "failed" -> changedHost ? SharedDatabase.FAILED : null;
      default -> null;
    };
    return publish(digest, deployId, state, reason, retry, until, 1)
        .compose(x -> shared.unlock())
        .otherwise(e -> {
          LOG.error("deploy {}: the shared verdict {} on {} could not be recorded: {}; the other hosts wait for it until their "
              + "patience ends", deployId, state == null ? "(release)" : state, digest, e.getMessage());
          shared.unlock();
          return null;
        });
  }

  private Future<Void> publish(String digest, String deployId, String state, String reason, boolean retry, Instant until, int n) {
    return shared.finish(digest, deployId, state, reason).recover(e -> {
      long delay = Math.min(MAX_RETRY_DELAY_MS, 1000L << Math.min(n - 1, 4));
      if (!retry || Instant.now().plusMillis(delay).isAfter(until)) {
        return Future.failedFuture(e);
      }
      LOG.warn("deploy {}: recording the shared verdict failed ({}); retrying in {} s", deployId, e.getMessage(), delay / 1000);
      return vertx.timer(delay).compose(x -> publish(digest, deployId, state, reason, retry, until, n + 1));
    });
  }
}
