package dev.arrow.flows.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.ErrorFilter;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.RetryPolicy;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Task;
import dev.arrow.flows.definition.Then;
import dev.arrow.flows.definition.WaitFor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DslReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCUMENT = """
            document:
              dsl: '1.0.0'
              namespace: shop
              name: orders
              version: '1.2.0'
            """;

    private static FlowDefinition read(String rest) throws DefinitionException {
        return DslReader.read(DOCUMENT + rest);
    }

    private static Step only(String rest) throws DefinitionException {
        List<Step> steps = read(rest).body().steps();
        assertThat(steps).hasSize(1);
        return steps.getFirst();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static void refused(String rest, String path, String... words) {
        assertThatThrownBy(() -> read(rest))
                .isInstanceOfSatisfying(DefinitionException.class, e -> {
                    assertThat(e.path()).isEqualTo(path);
                    assertThat(e.getMessage()).startsWith(path + ": ").contains(words);
                });
    }

    @Test
    void theDocumentGivesTheFlowsNamesAndItsTopLevelShaping() throws Exception {
        FlowDefinition flow = read("""
                input:
                  from: ${ .order }
                output:
                  as: {id: '${ .id }'}
                timeout:
                  after: PT10M
                do:
                  - validate:
                      call: arrow
                      with:
                        name: validator
                """);
        assertThat(flow.namespace()).isEqualTo("shop");
        assertThat(flow.name()).isEqualTo("orders");
        assertThat(flow.version()).isEqualTo("1.2.0");
        assertThat(flow.inputFrom()).contains(json("\"${ .order }\""));
        assertThat(flow.outputAs()).contains(json("{\"id\": \"${ .id }\"}"));
        assertThat(flow.timeout()).contains(Duration.ofMinutes(10));
        assertThat(flow.starts()).isEmpty();
        assertThat(flow.body().task().path()).isEqualTo("/do");
        assertThat(flow.body().steps().getFirst().task().path()).isEqualTo("/do/0/validate");
    }

    @Test
    void jsonReadsAsYamlDoes() throws Exception {
        FlowDefinition flow = DslReader.read("""
                {"document": {"dsl": "1.0.0", "namespace": "shop", "name": "orders", "version": "1.0.0"},
                 "do": [{"greet": {"set": {"hello": "world"}}}]}
                """);
        assertThat(flow.body().steps()).singleElement()
                .isEqualTo(new Step.Set(Task.named("greet", "/do/0/greet"), json("{\"hello\": \"world\"}")));
    }

    @Test
    void aCallOfAnArrowNamesItAndShapesItsInput() throws Exception {
        Step step = only("""
                do:
                  - charge:
                      call: arrow
                      with:
                        name: payments
                        input:
                          amount: ${ .total }
                """);
        assertThat(step).isEqualTo(new Step.Call(Task.named("charge", "/do/0/charge"), "payments",
                Optional.of(json("{\"amount\": \"${ .total }\"}"))));
    }

    @Test
    void aCallWithoutInputSendsTheTasksInput() throws Exception {
        Step step = only("""
                do:
                  - charge:
                      call: arrow
                      with:
                        name: payments
                """);
        assertThat(((Step.Call) step).input()).isEmpty();
    }

    @Test
    void aDeclaredFunctionIsCalledWithTheTasksWithMergedOverItsOwn() throws Exception {
        FlowDefinition flow = read("""
                use:
                  functions:
                    charge:
                      call: arrow
                      with:
                        name: payments
                        input: {currency: EUR}
                do:
                  - pay:
                      call: charge
                      with:
                        input: {currency: USD}
                  - payAgain:
                      call: charge
                """);
        assertThat(flow.body().steps()).containsExactly(
                new Step.Call(Task.named("pay", "/do/0/pay"), "payments", Optional.of(json("{\"currency\": \"USD\"}"))),
                new Step.Call(Task.named("payAgain", "/do/1/payAgain"), "payments",
                        Optional.of(json("{\"currency\": \"EUR\"}"))));
    }

    @Test
    void theTaskBaseIsReadForEveryKind() throws Exception {
        Step step = only("""
                do:
                  - charge:
                      if: ${ .total > 0 }
                      input:
                        from: ${ .order }
                      output:
                        as: ${ .receipt }
                      export:
                        as: '${ $context + {paid: true} }'
                      timeout:
                        after:
                          seconds: 30
                      then: end
                      metadata:
                        owner: billing
                      call: arrow
                      with:
                        name: payments
                """);
        Task task = step.task();
        assertThat(task.when()).contains("${ .total > 0 }");
        assertThat(task.inputFrom()).contains(json("\"${ .order }\""));
        assertThat(task.outputAs()).contains(json("\"${ .receipt }\""));
        assertThat(task.exportAs()).contains(json("\"${ $context + {paid: true} }\""));
        assertThat(task.timeout()).contains(Duration.ofSeconds(30));
        assertThat(task.then()).isEqualTo(new Then.End());
        assertThat(task.metadata()).containsEntry("owner", json("\"billing\""));
    }

    @Test
    void thenDirectivesAndNamedTimeouts() throws Exception {
        FlowDefinition flow = read("""
                use:
                  timeouts:
                    short:
                      after: PT5S
                do:
                  - a: {set: {x: 1}, then: continue}
                  - b: {set: {x: 2}, then: exit}
                  - c: {set: {x: 3}, then: a, timeout: short}
                """);
        assertThat(flow.body().steps()).extracting(step -> step.task().then())
                .containsExactly(new Then.Continue(), new Then.Exit(), new Then.GoTo("a"));
        assertThat(flow.body().steps().get(2).task().timeout()).contains(Duration.ofSeconds(5));
    }

    @Test
    void aDoTaskNestsItsListUnderItsPath() throws Exception {
        Step step = only("""
                do:
                  - group:
                      do:
                        - inner:
                            set: {x: 1}
                """);
        assertThat(step).isInstanceOfSatisfying(Step.Sequence.class, sequence -> {
            assertThat(sequence.task().path()).isEqualTo("/do/0/group");
            assertThat(sequence.steps()).singleElement()
                    .extracting(inner -> inner.task().path()).isEqualTo("/do/0/group/do/0/inner");
        });
    }

    @Test
    void aForkHasItsBranchesAndCompetes() throws Exception {
        Step step = only("""
                do:
                  - ship:
                      fork:
                        compete: true
                        branches:
                          - byAir:
                              call: arrow
                              with: {name: air}
                          - bySea:
                              call: arrow
                              with: {name: sea}
                """);
        assertThat(step).isInstanceOfSatisfying(Step.Fork.class, fork -> {
            assertThat(fork.compete()).isTrue();
            assertThat(fork.branches()).extracting(branch -> branch.task().path())
                    .containsExactly("/do/0/ship/fork/branches/0/byAir", "/do/0/ship/fork/branches/1/bySea");
        });
        Step.Fork plain = (Step.Fork) only("""
                do:
                  - ship:
                      fork:
                        branches:
                          - a: {set: {x: 1}}
                """);
        assertThat(plain.compete()).isFalse();
    }

    @Test
    void aForHasItsVariablesConditionBodyAndArrowsConcurrency() throws Exception {
        Step step = only("""
                do:
                  - each:
                      for:
                        each: order
                        in: ${ .orders }
                        at: position
                      while: ${ .ok }
                      metadata:
                        maxConcurrency: 4
                      do:
                        - handle:
                            call: arrow
                            with: {name: handler}
                """);
        assertThat(step).isInstanceOfSatisfying(Step.ForEach.class, forEach -> {
            assertThat(forEach.each()).isEqualTo("order");
            assertThat(forEach.at()).isEqualTo("position");
            assertThat(forEach.in()).isEqualTo("${ .orders }");
            assertThat(forEach.whileCondition()).contains("${ .ok }");
            assertThat(forEach.maxConcurrency()).contains(4);
            assertThat(forEach.body().steps()).singleElement()
                    .extracting(inner -> inner.task().path()).isEqualTo("/do/0/each/for/do/0/handle");
        });
        Step.ForEach defaults = (Step.ForEach) only("""
                do:
                  - each:
                      for:
                        in: ${ .orders }
                      do:
                        - handle: {set: {x: 1}}
                """);
        assertThat(defaults.each()).isEqualTo("item");
        assertThat(defaults.at()).isEqualTo("index");
        assertThat(defaults.whileCondition()).isEmpty();
        assertThat(defaults.maxConcurrency()).isEmpty();
    }

    @Test
    void aMaxConcurrencyBelowOneIsRefused() {
        refused("""
                do:
                  - each:
                      for:
                        in: ${ .orders }
                      metadata:
                        maxConcurrency: 0
                      do:
                        - handle: {set: {x: 1}}
                """, "/do/0/each/metadata/maxConcurrency", "maxConcurrency");
    }

    @Test
    void aSwitchHasItsCasesInOrder() throws Exception {
        Step step = only("""
                do:
                  - route:
                      switch:
                        - big:
                            when: ${ .total > 100 }
                            then: review
                        - cancelled:
                            when: .cancelled
                            then: end
                        - otherwise:
                            then: continue
                """);
        assertThat(step).isEqualTo(new Step.Switch(Task.named("route", "/do/0/route"), List.of(
                new Step.Switch.Case("big", Optional.of("${ .total > 100 }"), new Then.GoTo("review")),
                new Step.Switch.Case("cancelled", Optional.of(".cancelled"), new Then.End()),
                new Step.Switch.Case("otherwise", Optional.empty(), new Then.Continue()))));
    }

    @Test
    void aTryCatchesFilteredErrorsRetriesAndHandles() throws Exception {
        Step step = only("""
                do:
                  - pay:
                      try:
                        - charge:
                            call: arrow
                            with: {name: payments}
                      catch:
                        errors:
                          with:
                            type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
                            status: 503
                            instance: /do/0/pay/try/0/charge
                            title: Unavailable
                            details: try later
                        as: failure
                        when: ${ $failure.status >= 500 }
                        exceptWhen: ${ .free }
                        retry:
                          delay: {seconds: 2}
                          backoff:
                            exponential: {}
                          limit:
                            attempt:
                              count: 4
                              duration: PT1M
                            duration: PT30S
                          jitter:
                            from: {milliseconds: 100}
                            to: {seconds: 1}
                        do:
                          - refund:
                              call: arrow
                              with: {name: refunds}
                """);
        assertThat(step).isInstanceOfSatisfying(Step.Try.class, attempt -> {
            assertThat(attempt.body().task().path()).isEqualTo("/do/0/pay/try");
            assertThat(attempt.body().steps()).singleElement()
                    .extracting(inner -> inner.task().path()).isEqualTo("/do/0/pay/try/0/charge");
            Step.Catch handler = attempt.handler();
            assertThat(handler.errors()).isEqualTo(new ErrorFilter(
                    List.of("https://serverlessworkflow.io/spec/1.0.0/errors/communication"), Optional.of(503),
                    Optional.of("/do/0/pay/try/0/charge"), Optional.of("Unavailable"), Optional.of("try later")));
            assertThat(handler.as()).isEqualTo("failure");
            assertThat(handler.when()).contains("${ $failure.status >= 500 }");
            assertThat(handler.exceptWhen()).contains("${ .free }");
            assertThat(handler.retry()).contains(new RetryPolicy(Duration.ofSeconds(2),
                    new RetryPolicy.Backoff.Exponential(2), Optional.empty(), Duration.ofMillis(100),
                    Duration.ofSeconds(1), Optional.of(5), Optional.of(Duration.ofSeconds(30))));
            assertThat(handler.body()).hasValueSatisfying(body -> assertThat(body.steps()).singleElement()
                    .extracting(inner -> inner.task().path()).isEqualTo("/do/0/pay/catch/do/0/refund"));
        });
    }

    @Test
    void aCatchOfAnythingWithANamedRetry() throws Exception {
        FlowDefinition flow = read("""
                use:
                  retries:
                    patiently:
                      delay: PT1S
                      backoff:
                        linear: {}
                      limit:
                        attempt:
                          count: 2
                do:
                  - pay:
                      try:
                        - charge:
                            call: arrow
                            with: {name: payments}
                      catch:
                        retry: patiently
                """);
        Step.Catch handler = ((Step.Try) flow.body().steps().getFirst()).handler();
        assertThat(handler.errors()).isEqualTo(ErrorFilter.any());
        assertThat(handler.as()).isEqualTo("error");
        assertThat(handler.body()).isEmpty();
        assertThat(handler.retry()).contains(new RetryPolicy(Duration.ofSeconds(1), new RetryPolicy.Backoff.Linear(),
                Optional.empty(), Duration.ZERO, Duration.ZERO, Optional.of(3), Optional.empty()));
    }

    @Test
    void aWaitIsIsoOrInline() throws Exception {
        FlowDefinition flow = read("""
                do:
                  - iso:
                      wait: PT1H30M
                  - inline:
                      wait:
                        days: 1
                        minutes: 2
                        milliseconds: 500
                """);
        assertThat(flow.body().steps()).containsExactly(
                new Step.Wait(Task.named("iso", "/do/0/iso"), new WaitFor.Fixed(Duration.ofMinutes(90))),
                new Step.Wait(Task.named("inline", "/do/1/inline"),
                        new WaitFor.Fixed(Duration.ofDays(1).plusMinutes(2).plusMillis(500))));
    }

    @Test
    void aWaitOf31DaysIsRefused() {
        refused("""
                do:
                  - nap:
                      wait: P31D
                """, "/do/0/nap/wait", "at most 30 days");
        refused("""
                do:
                  - nap:
                      wait: {days: 30, seconds: 1}
                """, "/do/0/nap/wait", "at most 30 days");
    }

    @Test
    void aRaiseIsInlineOrDeclaredAndItsDetailMayBeAnExpression() throws Exception {
        FlowDefinition flow = read("""
                use:
                  errors:
                    outOfStock:
                      type: https://shop.example/errors/out-of-stock
                      status: 409
                      title: Out of stock
                do:
                  - inline:
                      raise:
                        error:
                          type: https://shop.example/errors/invalid
                          status: 400
                          detail: ${ "missing " + .field }
                  - declared:
                      raise:
                        error: outOfStock
                """);
        assertThat(flow.body().steps()).containsExactly(
                new Step.Raise(Task.named("inline", "/do/0/inline"), json("""
                        {"type": "https://shop.example/errors/invalid", "status": 400, "detail": "${ \\"missing \\" + .field }"}""")),
                new Step.Raise(Task.named("declared", "/do/1/declared"), json("""
                        {"type": "https://shop.example/errors/out-of-stock", "status": 409, "title": "Out of stock"}""")));
    }

    @Test
    void aSetMayBeAnExpression() throws Exception {
        Step step = only("""
                do:
                  - total:
                      set: '${ {total: (.items | length)} }'
                """);
        assertThat(step).isEqualTo(new Step.Set(Task.named("total", "/do/0/total"),
                json("\"${ {total: (.items | length)} }\"")));
    }

    @Test
    void aListenWaitsForOneEventsAttributes() throws Exception {
        Step step = only("""
                do:
                  - approval:
                      listen:
                        to:
                          one:
                            with:
                              type: com.shop.approved
                              source: https://shop.example/approvals
                """);
        assertThat(step).isEqualTo(new Step.Listen(Task.named("approval", "/do/0/approval"),
                Map.of("type", "com.shop.approved", "source", "https://shop.example/approvals"), Step.Listen.Read.DATA));
    }

    @Test
    void schedulesStartRunsByCronOrByEvent() throws Exception {
        assertThat(read("""
                schedule:
                  cron: 0 9 * * MON-FRI
                do:
                  - a: {set: {x: 1}}
                """).starts()).containsExactly(new FlowDefinition.Start.Cron("0 9 * * MON-FRI", "UTC"));
        assertThat(read("""
                schedule:
                  on:
                    one:
                      with:
                        type: com.shop.order.placed
                do:
                  - a: {set: {x: 1}}
                """).starts()).containsExactly(new FlowDefinition.Start.OnEvent(Map.of("type", "com.shop.order.placed")));
        assertThat(read("""
                schedule:
                  every: {minutes: 15}
                do:
                  - a: {set: {x: 1}}
                """).starts()).containsExactly(new FlowDefinition.Start.Cron("*/15 * * * *", "UTC"));
    }

    @Test
    void schedulesArrowCannotKeepAreRefused() {
        refused("""
                schedule:
                  every: {minutes: 7}
                do:
                  - a: {set: {x: 1}}
                """, "/schedule/every", "not supported by Arrow");
        refused("""
                schedule:
                  after: PT1M
                do:
                  - a: {set: {x: 1}}
                """, "/schedule/after", "schedule.after is not supported by Arrow");
        refused("""
                schedule:
                  cron: not a cron
                do:
                  - a: {set: {x: 1}}
                """, "/schedule/cron", "fields");
        refused("""
                schedule:
                  on:
                    any:
                      - with: {type: a}
                do:
                  - a: {set: {x: 1}}
                """, "/schedule/on/any", "schedule.on.any is not supported by Arrow");
    }

    @Test
    void tasksOutsideArrowsSubsetAreRefusedWithTheirPath() {
        refused("""
                do:
                  - ok: {set: {x: 1}}
                  - group:
                      do:
                        - fetch:
                            call: http
                            with:
                              method: get
                              endpoint: https://example.com
                """, "/do/1/group/do/0/fetch", "call: http is not supported by Arrow");
        refused("""
                do:
                  - ok: {set: {x: 1}}
                  - shell:
                      run:
                        shell:
                          command: ls
                """, "/do/1/shell", "the run task is not supported by Arrow");
        refused("""
                do:
                  - notify:
                      emit:
                        event:
                          with:
                            type: com.shop.done
                            source: https://shop.example
                """, "/do/0/notify", "the emit task is not supported by Arrow");
        refused("""
                do:
                  - rpc:
                      call: grpc
                      with:
                        proto: {endpoint: 'file://a.proto'}
                        service: {name: S, host: localhost}
                        method: M
                """, "/do/0/rpc", "call: grpc is not supported by Arrow");
    }

    @Test
    void moreFeaturesOutsideTheSubsetAreRefusedWithTheirPath() {
        for (String call : List.of("openapi", "asyncapi", "a2a")) {
            refused("""
                    do:
                      - remote:
                          call: %s
                          with: {}
                    """.formatted(call), "/do/0/remote", "call: " + call + " is not supported by Arrow");
        }
        refused("""
                use:
                  extensions:
                    - logging:
                        extend: all
                do:
                  - a: {set: {x: 1}}
                """, "/use/extensions", "use.extensions is not supported by Arrow");
        refused("""
                use:
                  authentications:
                    basic:
                      basic: {username: a, password: b}
                do:
                  - a: {set: {x: 1}}
                """, "/use/authentications", "use.authentications is not supported by Arrow");
        refused("""
                do:
                  - a:
                      try:
                        - b: {set: {x: 1}}
                      catch:
                        retry:
                          when: ${ .retryable }
                          delay: PT1S
                """, "/do/0/a/catch/retry/when", "retry.when is not supported by Arrow");
        refused("""
                do:
                  - a:
                      wait: ${ .delay }
                """, "/do/0/a/wait", "a duration given by an expression is not supported by Arrow");
        refused("""
                do:
                  - a:
                      listen:
                        to:
                          one:
                            with: {type: com.shop.event}
                      foreach:
                        item: event
                        do:
                          - b: {set: {x: 1}}
                """, "/do/0/a/foreach", "listen's foreach is not supported by Arrow");
        refused("""
                do:
                  - a:
                      listen:
                        to:
                          one:
                            with: {type: com.shop.event}
                        read: raw
                """, "/do/0/a/listen/read", "listen.read 'raw' is not supported by Arrow");
        refused("""
                evaluate:
                  language: js
                do:
                  - a: {set: {x: 1}}
                """, "/evaluate/language", "not supported by Arrow");
    }

    @Test
    void listensArrowCannotKeepAreRefused() {
        refused("""
                do:
                  - wait:
                      listen:
                        to:
                          any:
                            - with: {type: a}
                """, "/do/0/wait/listen/to/any", "listen.to.any is not supported by Arrow");
        refused("""
                do:
                  - wait:
                      listen:
                        to:
                          all:
                            - with: {type: a}
                """, "/do/0/wait/listen/to/all", "listen.to.all is not supported by Arrow");
        refused("""
                do:
                  - wait:
                      listen:
                        to:
                          one:
                            with:
                              type: a
                              count: 3
                """, "/do/0/wait/listen/to/one/with/count", "not a string", "not supported by Arrow");
    }

    @Test
    void workflowLevelFeaturesOutsideTheSubsetAreRefused() {
        refused("""
                use:
                  secrets: [token]
                do:
                  - a: {set: {x: 1}}
                """, "/use/secrets", "use.secrets is not supported by Arrow");
        refused("""
                input:
                  schema:
                    format: json
                    document: {type: object}
                do:
                  - a: {set: {x: 1}}
                """, "/input/schema", "not supported by Arrow");
        refused("""
                use:
                  functions:
                    fetch:
                      call: http
                      with: {method: get, endpoint: 'https://example.com'}
                do:
                  - a: {call: fetch}
                """, "/use/functions/fetch", "not supported by Arrow");
    }

    @Test
    void aCallWithAnUndeclaredFunctionOrWithoutAnArrowNameIsRefused() {
        refused("""
                do:
                  - a:
                      call: nothing
                """, "/do/0/a", "no function 'nothing'");
        refused("""
                do:
                  - a:
                      call: arrow
                      with:
                        input: {x: 1}
                """, "/do/0/a/with/name", "with.name");
        refused("""
                do:
                  - a:
                      call: arrow
                      with:
                        name: payments
                        headers: {x: 1}
                """, "/do/0/a/with/headers", "not supported by Arrow");
    }

    @Test
    void anArrowOrAnEventAttributeGivenByAnExpressionIsRefused() {
        refused("""
                do:
                  - a:
                      call: arrow
                      with:
                        name: ${ .which }
                """, "/do/0/a/with/name", "an arrow named by an expression is not supported by Arrow");
        refused("""
                do:
                  - a:
                      listen:
                        to:
                          one:
                            with:
                              type: ${ .eventType }
                """, "/do/0/a/listen/to/one/with/type", "expression", "not supported by Arrow");
    }

    @Test
    void whatTheSchemaRefusesIsNamedByItsPath() {
        refused("""
                do:
                  - a:
                      set: {x: 1}
                  - b:
                      wait: {weeks: 3}
                """, "/do/1/b/wait", "schema");
        refused("""
                do:
                  - a:
                      try:
                        - b: {set: {x: 1}}
                      catch:
                        errors:
                          with: {status: nope}
                """, "/do/0/a/catch/errors/with/status", "integer expected");
        refused("""
                do:
                  - a:
                      switch:
                        - b: {when: .x, thn: end}
                """, "/do/0/a/switch/0/b", "'then' not found");
        assertThatThrownBy(() -> DslReader.read("document: {dsl: '1.0.0', namespace: a, name: b}\ndo: []\n"))
                .isInstanceOfSatisfying(DefinitionException.class, e -> {
                    assertThat(e.path()).isEqualTo("/document");
                    assertThat(e.getMessage()).contains("version");
                });
    }

    @Test
    void unreadableTextIsRefused() {
        assertThatThrownBy(() -> DslReader.read("{\"document\": "))
                .isInstanceOfSatisfying(DefinitionException.class, e -> assertThat(e.path()).isEqualTo("/"));
        assertThatThrownBy(() -> DslReader.read("- just\n- a list\n"))
                .isInstanceOfSatisfying(DefinitionException.class, e -> assertThat(e.path()).isEqualTo("/"));
    }

    @Test
    void aDefinitionOver256KiBIsRefusedBeforeParsing() {
        String padding = "#" + "x".repeat(256 * 1024) + "\n";
        assertThatThrownBy(() -> read(padding + "do:\n  - a: {set: {x: 1}}\n"))
                .isInstanceOfSatisfying(DefinitionException.class, e -> {
                    assertThat(e.path()).isEqualTo("/");
                    assertThat(e.getMessage()).contains("256 KiB");
                });
    }
}
