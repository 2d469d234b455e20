package io.rptun.core.rsc;

/** Resource-table constants that are not tied to one structure. */
public final class Rsc {
    /** {@code FW_RSC_U32_ADDR_ANY}: any address, as a u32 in a long. */
    public static final long ADDR_ANY = 0xFFFF_FFFFL;
    /** {@code RSC_NOTIFY_ID_ANY}: the host assigns the notify id. */
    public static final int NOTIFY_ID_ANY = 0xFFFF_FFFF;

    private Rsc() {
    }
}
