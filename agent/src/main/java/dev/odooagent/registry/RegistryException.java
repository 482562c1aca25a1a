package dev.odooagent.registry;

/** A registry call that failed, naming the registry, repository, reference and HTTP status, with a hint for the operator. */
public final class RegistryException extends RuntimeException {

    private final String registryUrl;
    private final String repository;
    private final String reference;
    private final int status;
    private final boolean retryable;

    /**
     * Creates the exception; {@code status} is 0 when no HTTP answer arrived and {@code reference} may be null.
     * The message is built from the arguments only, so callers never pass credentials into it.
     */
    public RegistryException(String registryUrl, String repository, String reference, int status, String problem,
                             String hint, boolean retryable, Throwable cause) {
        super(message(registryUrl, repository, reference, status, problem, hint), cause);
        this.registryUrl = registryUrl;
        this.repository = repository;
        this.reference = reference;
        this.status = status;
        this.retryable = retryable;
    }

    private static String message(String registryUrl, String repository, String reference, int status,
                                  String problem, String hint) {
        StringBuilder sb = new StringBuilder("registry ").append(registryUrl)
                .append(", repository ").append(repository);
        if (reference != null) {
            sb.append(", ").append(References.isDigest(reference) ? "digest " : "tag ").append(reference);
        }
        sb.append(": ");
        if (status > 0) {
            sb.append("HTTP ").append(status).append(' ');
        }
        sb.append(problem);
        if (hint != null && !hint.isEmpty()) {
            sb.append(" (").append(hint).append(')');
        }
        return sb.toString();
    }

    /** Whether trying the same call again may succeed: connection errors, timeouts, 429 and 5xx. */
    public boolean retryable() {
        return retryable;
    }

    /** The HTTP status the registry answered, or 0 when no answer arrived. */
    public int status() {
        return status;
    }

    /** The registry base URL that was called. */
    public String registryUrl() {
        return registryUrl;
    }

    /** The repository that was asked about. */
    public String repository() {
        return repository;
    }

    /** The tag or digest that was asked about, or null for calls about the registry itself. */
    public String reference() {
        return reference;
    }

    /** Whether {@code failure} is a {@link RegistryException} worth retrying; the retry predicate of registry calls. */
    public static boolean isRetryable(Throwable failure) {
        return failure instanceof RegistryException e && e.retryable();
    }
}
