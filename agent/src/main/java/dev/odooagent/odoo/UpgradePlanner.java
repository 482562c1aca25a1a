package dev.odooagent.odoo;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/** Chooses which modules {@code -u} updates, from the module maps of the old and new images. */
public final class UpgradePlanner {
  /** The image label holding {@code {"module": {"version": "...", "hash": "..."}}}. */
  public static final String MODULES_LABEL = "odoo.modules";

  private UpgradePlanner() {}

  /** The module map in an image's labels, or null when the label is absent or unreadable. */
  public static JsonObject modulesFromLabels(Map<String, String> labels) {
    String v = labels == null ? null : labels.get(MODULES_LABEL);
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return new JsonObject(v);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The module map printed by {@link DbTool#manifests}, or null when the output has none. */
  public static JsonObject modulesFromOutput(String output) {
    for (String line : output.split("\n")) {
      if (line.startsWith("ODOO_AGENT_MANIFESTS ")) {
        return new JsonObject(line.substring("ODOO_AGENT_MANIFESTS ".length()));
      }
    }
    return null;
  }

  /** Modules that are new in {@code next} or whose version or content hash differs from {@code current}, sorted. */
  public static List<String> changed(JsonObject current, JsonObject next) {
    TreeSet<String> out = new TreeSet<>();
    for (String m : next.fieldNames()) {
      Object a = current.getValue(m);
      Object b = next.getValue(m);
      if (a == null || !Objects.equals(version(a), version(b)) || !Objects.equals(hash(a), hash(b))) {
        out.add(m);
      }
    }
    return new ArrayList<>(out);
  }

  private static String version(Object entry) {
    return entry instanceof JsonObject o ? o.getString("version") : String.valueOf(entry);
  }

  private static String hash(Object entry) {
    return entry instanceof JsonObject o ? o.getString("hash") : null;
  }
}
