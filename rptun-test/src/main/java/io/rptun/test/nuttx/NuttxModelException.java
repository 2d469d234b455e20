package io.rptun.test.nuttx;

/**
 * What a NuttX model found wrong in the shared file (a bad index, length or address, a table that is not
 * NuttX's). NuttX itself would assert or read out of bounds; a model stops with this instead and keeps it
 * as its {@code fault()}, so a test can say which value was wrong.
 */
public final class NuttxModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NuttxModelException(String message) {
        super(message);
    }
}
