package dev.odooagent.docker;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/** What the engine says of one local image; {@code config} is its inspect {@code Config} section, {@code created} its build time. */
public record ImageInfo(String id, List<String> repoTags, List<String> repoDigests, Map<String, String> labels, JsonObject config,
    String created) {

  /** The registry digest of this image in the given repository, or null if it was never pulled from there. */
  public String digestIn(String repository) {
    for (String rd : repoDigests) {
      int at = rd.indexOf('@');
      if (at > 0 && rd.substring(0, at).equalsIgnoreCase(repository)) {
        return rd.substring(at + 1);
      }
    }
    return null;
  }
}
