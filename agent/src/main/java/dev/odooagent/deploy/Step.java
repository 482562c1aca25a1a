package dev.odooagent.deploy;

import dev.odooagent.config.AgentConfig;
import java.time.Duration;
import java.util.function.Function;

/**
 * The steps of a deploy, in order, each with its journal name, its deadline, and whether it changes the host: a
 * failure before {@link #STOP_OLD} (or {@link #START_BESIDE}) refuses the deploy with nothing changed; from there on it
 * is rolled back. A recreate runs {@link #STOP_OLD} to {@link #AWAIT_HEALTHY}; a start-first runs
 * {@link #START_BESIDE} to {@link #SWAP} instead; both end with {@link #COMMIT}.
 */
public enum Step {
  RESOLVE("resolve", "registry lookups", d -> Duration.ofMinutes(5), null),
  PULL("pull", "deploy.pull_timeout", d -> d.pullTimeout().plusSeconds(30), null),
  GATE_HOOKS("gate hooks", "deploy.gate_timeout", d -> d.gateTimeout().multipliedBy(Math.max(1, d.gateHooks().size())).plusSeconds(30), null),
  PLAN("plan", "the one-shot limit", d -> Limits.ONE_SHOT, null),
  CHECK_DATABASE("check database", "the one-shot limit", d -> Limits.ONE_SHOT, null),
  /** With service.shared_database: lead the digest's upgrade, or wait for the leader's verdict (a whole deploy, bounded). */
  COORDINATE("coordinate", "the leader's deploy limits", d -> d.upgradeTimeout().plus(d.healthTimeout()).plus(d.rollbackTimeout())
      .plus(Limits.ONE_SHOT.multipliedBy(2)).plusMinutes(1), null),
  STOP_OLD("stop old", "the stop limit", d -> Limits.STOP_TIMEOUT.plusSeconds(60), RollbackReason.ENGINE_FAILED),
  SNAPSHOT("snapshot", "the one-shot limit", d -> Limits.ONE_SHOT, RollbackReason.SNAPSHOT_FAILED),
  RESTORE_COPY("restore copy", "the one-shot limit", d -> Limits.ONE_SHOT, RollbackReason.UPGRADE_FAILED),
  UPGRADE("upgrade", "deploy.upgrade_timeout", d -> d.upgradeTimeout().plusMinutes(1), RollbackReason.UPGRADE_FAILED),
  START_NEW("start new", "the engine limit", d -> Duration.ofMinutes(5), RollbackReason.ENGINE_FAILED),
  AWAIT_HEALTHY("await healthy", "deploy.health_timeout", d -> d.healthTimeout().plusSeconds(30), RollbackReason.HEALTH_FAILED),
  START_BESIDE("start beside", "the engine limit", d -> Duration.ofMinutes(5), RollbackReason.ENGINE_FAILED),
  AWAIT_BESIDE("await healthy beside", "deploy.health_timeout", d -> d.healthTimeout().plusSeconds(30), RollbackReason.HEALTH_FAILED),
  SWAP("swap", "the stop limit", d -> Limits.STOP_TIMEOUT.plusSeconds(60), RollbackReason.ENGINE_FAILED),
  COMMIT("commit", "the one-shot limit", d -> Limits.ONE_SHOT, RollbackReason.ENGINE_FAILED),
  ROLLBACK("rollback", "deploy.rollback_timeout", d -> d.rollbackTimeout().plus(d.healthTimeout()).plusMinutes(1), null);

  /** How long the old container gets to stop gracefully before it is killed. */
  static final Duration STOP_TIMEOUT = Limits.STOP_TIMEOUT;
  /** The bound of a database or inspection one-shot container. */
  static final Duration ONE_SHOT = Limits.ONE_SHOT;

  /** The fixed bounds, apart so that the constants above may use them. */
  private static final class Limits {
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    static final Duration ONE_SHOT = Duration.ofMinutes(10);
  }

  private final String word;
  private final String limit;
  private final Function<AgentConfig.Deploy, Duration> deadline;
  private final RollbackReason failure;

  Step(String word, String limit, Function<AgentConfig.Deploy, Duration> deadline, RollbackReason failure) {
    this.word = word;
    this.limit = limit;
    this.deadline = deadline;
    this.failure = failure;
  }

  /** Why a deploy is rolled back when this step fails (the engine's own errors aside); null before the host changed. */
  public RollbackReason failure() {
    return failure;
  }

  /** The name the journal, the events and the logs use. */
  public String word() {
    return word;
  }

  /** The longest this step may take under {@code d}, past which it is failed. */
  public Duration deadline(AgentConfig.Deploy d) {
    return deadline.apply(d);
  }

  /** The setting that bounds this step, for messages. */
  public String limit() {
    return limit;
  }

  /** Whether a failure in this step leaves something to undo. */
  public boolean changesHost() {
    return failure != null;
  }

  /** The step with this journal name, or null. */
  public static Step of(String word) {
    for (Step s : values()) {
      if (s.word.equals(word)) {
        return s;
      }
    }
    return null;
  }
}
