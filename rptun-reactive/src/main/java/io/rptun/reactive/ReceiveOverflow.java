package io.rptun.reactive;

/**
 * What a channel does with a message that arrives while its receiver has no demand and the channel already
 * holds {@link ReactiveOptions#receiveBound()} messages. Until the bound every such message is held
 * zero-copy (its RX buffer stays with this side); the bound keeps one slow channel from taking every RX
 * buffer of the device, which all endpoints share.
 */
public enum ReceiveOverflow {
    /**
     * Lossless, the default: the endpoint's delivery is paused ({@code RpmsgEndpoint.pauseDelivery()}). The
     * next message for it stays unread in the RX ring, the remote runs out of TX buffers and waits; delivery
     * resumes once the receiver has drained the channel to half the bound. Head-of-line blocking: while it
     * is paused, messages for the other endpoints of the same device that arrived behind it wait too (the
     * rings are shared and arrival order is kept). Use {@link #COPY} when other endpoints must keep flowing.
     */
    PAUSE,
    /**
     * Lossless: past the bound, messages are copied to the heap (up to {@link ReactiveOptions#copyLimit()}
     * more) and their RX buffers go back at once, so the other endpoints of the device keep flowing; past
     * that, as {@link #PAUSE}. Costs a copy and heap per message beyond the bound.
     */
    COPY,
    /** Lossy: past the bound, messages are dropped (their buffers go back) and counted in {@link ChannelStats#dropped()}. */
    DROP,
    /**
     * Past the bound, receive fails with {@link RpmsgReactiveException.Reason#RECEIVE_OVERFLOW}, releasing what
     * it held, and the channel drops whatever arrives afterwards.
     */
    ERROR
}
