package dev.odooagent.docker;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * What to create: the engine's create body verbatim, the name, and the networks to join after creation
 * (the engine accepts only one endpoint at create time on older API versions).
 */
public record ContainerSpec(String name, JsonObject body, Map<String, JsonObject> extraNetworks) {}
