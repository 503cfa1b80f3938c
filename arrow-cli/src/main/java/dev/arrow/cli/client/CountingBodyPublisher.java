package dev.arrow.cli.client;

import java.net.http.HttpRequest.BodyPublisher;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;

/** Passes a body through and tells, after each buffer, how many bytes have been handed on so far. */
final class CountingBodyPublisher implements BodyPublisher {

    private final BodyPublisher delegate;
    private final LongConsumer sent;

    CountingBodyPublisher(BodyPublisher delegate, LongConsumer sent) {
        this.delegate = delegate;
        this.sent = sent;
    }

    @Override
    public long contentLength() {
        return delegate.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        delegate.subscribe(new Flow.Subscriber<ByteBuffer>() {
            private long total;

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                total = 0; // a retried request subscribes again from the start
                subscriber.onSubscribe(subscription);
            }

            @Override
            public void onNext(ByteBuffer item) {
                int bytes = item.remaining();
                subscriber.onNext(item);
                total += bytes;
                sent.accept(total);
            }

            @Override
            public void onError(Throwable throwable) {
                subscriber.onError(throwable);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
    }
}
