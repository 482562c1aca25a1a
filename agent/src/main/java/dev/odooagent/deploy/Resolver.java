package dev.odooagent.deploy;

import io.vertx.core.Future;

/** Resolves a tag of the service's repository to its current registry digest. */
@FunctionalInterface
public interface Resolver {
  /** The digest ({@code sha256:…}) the tag points at now. */
  Future<String> digestOf(String tag);
}
