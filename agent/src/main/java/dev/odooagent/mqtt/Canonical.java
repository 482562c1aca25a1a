package dev.odooagent.mqtt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The canonical JSON text that command signatures are computed over.
 *
 * <p>Rule (it equals the output of {@code jq -cS} for strings, integers, booleans and null):
 * <ul>
 *   <li>no whitespace outside strings;</li>
 *   <li>object keys sorted by Unicode code point (as UTF-8 bytes compare), recursively; array order kept;</li>
 *   <li>strings: {@code "} and {@code \} escaped with a backslash, {@code \b \f \n \r \t} as such, other
 *       characters below U+0020 and U+007F as <code>&#92;u00xx</code> (lower-case hex), everything else as raw UTF-8;</li>
 *   <li>numbers: the value as an IEEE-754 double in shortest round-trip form, printed as jq 1.6 does
 *       ({@code 1700000000}, {@code 1.5}, {@code 1e-05}, {@code 1e+17}); integers up to 2^53 print as plain digits.</li>
 * </ul>
 * A signer gets the same bytes with {@code jq -cS 'del(.sig)'}; keep commands to strings and integers, because
 * jq versions disagree on how they print fractions such as {@code 1.0}.
 */
public final class Canonical {

  private Canonical() {
  }

  /** Returns the canonical text of the object (see the class doc for the rule). */
  public static String json(JsonObject object) {
    StringBuilder out = new StringBuilder();
    writeObject(object.getMap(), out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof JsonObject o) {
      writeObject(o.getMap(), out);
    } else if (value instanceof Map<?, ?> m) {
      writeObject(m, out);
    } else if (value instanceof JsonArray a) {
      writeArray(a.getList(), out);
    } else if (value instanceof List<?> l) {
      writeArray(l, out);
    } else if (value instanceof CharSequence s) {
      writeString(s.toString(), out);
    } else if (value instanceof Boolean b) {
      out.append(b.booleanValue() ? "true" : "false");
    } else if (value instanceof Number n) {
      out.append(number(n.doubleValue()));
    } else {
      throw new IllegalArgumentException("no canonical JSON form for a " + value.getClass().getName());
    }
  }

  private static void writeObject(Map<?, ?> map, StringBuilder out) {
    List<String> keys = new ArrayList<>(map.size());
    for (Object key : map.keySet()) {
      keys.add(String.valueOf(key));
    }
    keys.sort(Canonical::compareCodePoints);
    out.append('{');
    boolean first = true;
    for (String key : keys) {
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(key, out);
      out.append(':');
      write(map.get(key), out);
    }
    out.append('}');
  }

  private static void writeArray(List<?> list, StringBuilder out) {
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      write(list.get(i), out);
    }
    out.append(']');
  }

  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static void writeString(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            // jq replaces unpaired surrogates with U+FFFD when it reads them
            out.append('\uFFFD');
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  static String number(double d) {
    if (Double.isNaN(d)) {
      return "null";
    }
    if (Double.isInfinite(d)) {
      d = d > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE;
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0" : "0";
    }
    String sign = d < 0 ? "-" : "";
    BigDecimal shortest = shortest(Math.abs(d));
    String digits = shortest.unscaledValue().toString();
    int end = digits.length();
    while (end > 1 && digits.charAt(end - 1) == '0') {
      end--;
    }
    int trimmed = digits.length() - end;
    digits = digits.substring(0, end);
    int n = digits.length();
    // decpt: position of the decimal point relative to the start of the digit string
    int decpt = n - (shortest.scale() - trimmed);
    StringBuilder out = new StringBuilder(sign);
    if (decpt <= -4 || decpt > n + 15) {
      out.append(digits.charAt(0));
      if (n > 1) {
        out.append('.').append(digits, 1, n);
      }
      int exp = decpt - 1;
      out.append('e').append(exp < 0 ? '-' : '+');
      int abs = Math.abs(exp);
      if (abs < 10) {
        out.append('0');
      }
      out.append(abs);
    } else if (decpt <= 0) {
      out.append("0.");
      out.append("0".repeat(-decpt));
      out.append(digits);
    } else if (decpt >= n) {
      out.append(digits);
      out.append("0".repeat(decpt - n));
    } else {
      out.append(digits, 0, decpt).append('.').append(digits, decpt, n);
    }
    return out.toString();
  }

  private static BigDecimal shortest(double positive) {
    BigDecimal exact = new BigDecimal(positive);
    for (int precision = 1; precision < 17; precision++) {
      BigDecimal candidate = exact.round(new MathContext(precision));
      if (candidate.doubleValue() == positive) {
        return candidate;
      }
    }
    return exact.round(new MathContext(17));
  }
}
