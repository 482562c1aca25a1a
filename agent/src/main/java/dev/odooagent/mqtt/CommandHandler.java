package dev.odooagent.mqtt;

import io.vertx.core.Future;

/** Executes verified operator commands; implemented by the daemon on top of the deploy engine, called on an event loop. */
@FunctionalInterface
public interface CommandHandler {
  /**
   * Executes the command; completes with the deploy id it started (null when none, e.g. status), or fails with an
   * exception whose message is shown to the operator.
   */
  Future<String> handle(Command command);
}
