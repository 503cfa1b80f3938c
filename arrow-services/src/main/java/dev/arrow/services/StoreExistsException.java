package dev.arrow.services;

/** A store was to be created with options other than those of the store of that name (HTTP 409). */
public final class StoreExistsException extends ServiceException {

    private final String name;

    public StoreExistsException(String name, String message) {
        super(message);
        this.name = name;
    }

    public String name() {
        return name;
    }
}
