package io.rptun.core.rsc;

/**
 * {@code fw_rsc_trace}: a trace buffer the remote writes its log into.
 *
 * @param da device address of the buffer
 * @param len length in bytes
 * @param reserved 0 in OpenAMP
 * @param name up to 31 Latin-1 bytes
 */
public record TraceResource(long da, long len, int reserved, String name) implements ResourceEntry {

    public TraceResource {
        Checks.u32("da", da);
        Checks.u32("len", len);
        Checks.name("name", name, FwRscCarveoutLayout.NAME_SIZE);
    }

    @Override
    public int type() {
        return FwRscHdrLayout.RSC_TRACE;
    }

    @Override
    public long byteSize() {
        return FwRscTraceLayout.SIZE;
    }
}
