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

  /** Goes back to the previous good image; completes with the deploy id. */
  Future<String> rollback(String source);

  /** The /status document. */
  JsonObject status();

  /** The newest {@code limit} deploy records, newest first. */
  JsonArray history(int limit);
}
