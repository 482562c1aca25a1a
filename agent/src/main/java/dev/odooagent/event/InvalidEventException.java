package dev.odooagent.event;

/** An event or value that is malformed or unsafe; its message is fit to show the sender as is. */
public final class InvalidEventException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the bad input and what is allowed. */
  public InvalidEventException(String message) {
    super(message);
  }
}
