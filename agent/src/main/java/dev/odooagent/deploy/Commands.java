package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** What operators may ask of the agent, from the admin API, MQTT or the CLI. */
public interface Commands {
  /** Deploys a tag or digest now; completes with the deploy id, or fails with a user-facing refusal. */
  Future<String> deploy(String tag, String digest, boolean force, String source);

  /** Pins a tag or digest, deploying it if it is not running; completes with the deploy id or null. */
  Future<String> pin(String tag, String digest, String source);

  /** Drops the pin and catches up with the channel; completes with the deploy id or null. */
  Future<String> unpin(String source);

  /** Deploys the pending version as an operator's command; fails when nothing is pending or it may not start. */
  Future<String> approve(String source);

  /** Goes back to the previous good image; completes with the deploy id, or fails saying which choice is needed. */
  Future<String> rollback(RollbackMode mode, String source);

  /** What a rollback would do now: target, whether a choice is needed, and what each choice loses. */
  JsonObject rollbackPlan();

  /** The /status document. */
  JsonObject status();

  /** The newest {@code limit} deploy records, newest first. */
  JsonArray history(int limit);

  /** How a rollback treats the database after a deploy that upgraded modules. */
  enum RollbackMode {
    /** No choice given: fine unless the last deploy upgraded modules. */
    UNSPECIFIED,
    /** Put back the database and filestore from the safety copy kept at the last deploy. */
    RESTORE_DATABASE,
    /** Keep the database as it is and run the older code on it. */
    CODE_ONLY;

    /** The mode a request names ({@code restore_database}, {@code code_only}, or null/empty), or IllegalArgumentException. */
    public static RollbackMode of(String word) {
      if (word == null || word.isEmpty()) {
        return UNSPECIFIED;
      }
      switch (word) {
        case "restore_database":
          return RESTORE_DATABASE;
        case "code_only":
          return CODE_ONLY;
        default:
          throw new IllegalArgumentException("rollback mode '" + word + "' is not one of restore_database, code_only");
      }
    }
  }
}
