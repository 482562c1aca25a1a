package dev.odooagent.docker;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/** What the engine says of one container; {@code raw} is the whole inspect document, kept for exact recreation. */
public record ContainerInfo(
    String id,
    String name,
    String imageRef,
    String imageId,
    boolean running,
    String status,
    int restartCount,
    String startedAt,
    Map<String, String> labels,
    JsonObject raw) {}
