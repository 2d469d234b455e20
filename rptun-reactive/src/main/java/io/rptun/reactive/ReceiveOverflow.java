package io.rptun.reactive;

/**
 * What a channel does with a message that arrives while its receiver has no demand and the channel already
 * holds {@link ReactiveOptions#receiveBound()} messages. Until the bound every such message is held
 * zero-copy (its RX buffer stays with this side); the bound keeps one slow channel from taking every RX
 * buffer of the device, which all endpoints share.
 *
 * <p>Every endpoint of a device shares its rings, and the core delivers in arrival order: while one channel
 * pauses delivery, the messages for every other endpoint that arrived behind it wait too, and the remote,
 * out of TX buffers, stops sending to all of them. Whenever a channel pauses the link it is counted
 * ({@link ChannelStats#pauses()}, {@link ChannelStats#pausing()}) and logged (one WARN line naming the channel,
 * at most one per pause episode).
 */
public enum ReceiveOverflow {
    /**
     * Zero-copy and lossless, <b>link-wide</b>: past the bound the endpoint's delivery is paused
     * ({@code RpmsgEndpoint.pauseDelivery()}). The next message for it stays unread in the RX ring, the remote
     * runs out of TX buffers and waits; delivery resumes once the receiver has drained the channel to half the
     * bound. Meanwhile <b>every other endpoint of the device waits too</b> (head-of-line blocking): one
     * receiver that stops requesting stops the whole link. Choose it only when every channel is read promptly
     * and no copy may be made.
     */
    PAUSE,
    /**
     * Lossless, the default: past the bound, messages are copied to the heap and their RX buffers go back at
     * once, so the other endpoints of the device keep flowing, as long as the channel's copies stay within
     * {@link ReactiveOptions#copyBudget()} and the copies of all the layer's channels within
     * {@link ReactiveOptions#deviceCopyBudget()} (each copy counts its payload plus
     * {@value ReactiveOptions#COPY_OVERHEAD} bytes). Past a budget, as {@link #PAUSE} (link-wide), until the
     * receiver has drained the channel to half its bound and half its budget. The layer also holds at most
     * half the device's RX buffers zero-copy across its channels: past that, messages are copied even below
     * the bound, so that several unread channels cannot take the whole ring either.
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
