package io.rptun.core.rsc;

import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_devmem} (56 bytes): byte for byte the layout of {@link FwRscCarveoutLayout},
 * with type {@code RSC_DEVMEM = 1}.
 *
 * <pre>
 * 0 type · 4 da · 8 pa · 12 len · 16 flags · 20 reserved · 24 name[32]
 * </pre>
 */
public final class FwRscDevmemLayout {
    public static final StructLayout LAYOUT = FwRscCarveoutLayout.LAYOUT;
    public static final long TYPE_OFFSET = FwRscCarveoutLayout.TYPE_OFFSET;
    public static final long DA_OFFSET = FwRscCarveoutLayout.DA_OFFSET;
    public static final long PA_OFFSET = FwRscCarveoutLayout.PA_OFFSET;
    public static final long LEN_OFFSET = FwRscCarveoutLayout.LEN_OFFSET;
    public static final long FLAGS_OFFSET = FwRscCarveoutLayout.FLAGS_OFFSET;
    public static final long RESERVED_OFFSET = FwRscCarveoutLayout.RESERVED_OFFSET;
    public static final long NAME_OFFSET = FwRscCarveoutLayout.NAME_OFFSET;
    public static final long SIZE = LAYOUT.byteSize();

    private FwRscDevmemLayout() {
    }
}
