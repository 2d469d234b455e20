package io.rptun.reactive;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * A send in waiting, as reactor-netty's {@code NettyOutbound}: nothing is requested from the source until
 * it is subscribed, normally through {@link #then()}. Each subscription sends the source's elements once.
 */
public interface RpmsgOutbound extends Publisher<Void> {
    /**
     * Completes when every element of the source is on the TX ring (handed to the remote), fails with the
     * first error (the source's, or a typed {@link io.rptun.core.rpmsg.RpmsgException} /
     * {@link RpmsgReactiveException}); cancelling it cancels the source.
     */
    Mono<Void> then();
}
