package dev.arrow.flows.asl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.ErrorFilter;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.definition.RetryPolicy;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Task;
import dev.arrow.flows.definition.Then;
import dev.arrow.flows.definition.WaitFor;
import dev.arrow.flows.expressions.ExpressionException;
import dev.arrow.flows.expressions.Expressions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AslImporterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static FlowDefinition read(String json) throws DefinitionException {
        return AslImporter.read("orders", json);
    }

    /** A machine of one state {@code S} (then End) with these fields, plus a state Done. */
    private static String single(String fields) {
        return """
                {"StartAt": "S", "States": {"S": {%s}, "Done": {"Type": "Succeed"}}}
                """.formatted(fields);
    }

    private static Step first(String fields) throws DefinitionException {
        return read(single(fields)).body().steps().getFirst();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Map<String, JsonNode> variables(JsonNode input) {
        Map<String, JsonNode> variables = new HashMap<>();
        variables.put("input", input);
        variables.put("workflow", json("""
                {"id": "run-1", "definition": {"name": "orders", "version": "1"}, "input": {"orderId": "o-7"}}"""));
        variables.put("task", json("{\"name\": \"S\", \"reference\": \"/States/S\"}"));
        variables.put("runtime", json("{\"name\": \"arrow\"}"));
        variables.put("context", json("{}"));
        return variables;
    }

    /** The call's input, as the executor builds it from the step's input. */
    private static JsonNode callInput(Step.Call call, String input) throws ExpressionException {
        JsonNode raw = json(input);
        return call.input().isEmpty() ? raw : Expressions.evaluate(call.input().get(), raw, variables(raw));
    }

    /** The step's output from its raw result, with $input the step's (raw) input. */
    private static JsonNode output(Task task, String input, String result) throws ExpressionException {
        JsonNode raw = json(result);
        return task.outputAs().isEmpty() ? raw : Expressions.evaluate(task.outputAs().get(), raw, variables(json(input)));
    }

    private static JsonNode evaluate(JsonNode template, String input) throws ExpressionException {
        return Expressions.evaluate(template, json(input), variables(json(input)));
    }

    private static void refused(String json, String path, String words) {
        assertThatThrownBy(() -> read(json)).isInstanceOfSatisfying(DefinitionException.class, e -> {
            assertThat(e.path()).isEqualTo(path);
            assertThat(e.getMessage()).contains(words);
        });
    }

    // --- the machine ---------------------------------------------------------------------------

    @Test
    void statesBecomeASequenceStartingAtStartAtEachGoingToItsNext() throws Exception {
        FlowDefinition flow = read("""
                {"Comment": "two steps", "StartAt": "B", "TimeoutSeconds": 300, "States": {
                  "A": {"Type": "Task", "Resource": "arrow:a", "End": true},
                  "B": {"Type": "Task", "Resource": "arrow:b", "Next": "A"}}}""");
        assertThat(flow.namespace()).isEqualTo("default");
        assertThat(flow.name()).isEqualTo("orders");
        assertThat(flow.version()).isEqualTo("1");
        assertThat(flow.timeout()).contains(Duration.ofSeconds(300));
        assertThat(flow.starts()).isEmpty();
        List<Step> steps = flow.body().steps();
        assertThat(steps).extracting(step -> step.task().name()).containsExactly("B", "A");
        assertThat(steps).extracting(step -> step.task().path()).containsExactly("/States/B", "/States/A");
        assertThat(steps.get(0).task().then()).isEqualTo(new Then.GoTo("A"));
        assertThat(steps.get(1).task().then()).isEqualTo(new Then.End());
    }

    @Test
    void aStateNameIsEscapedInItsPath() throws Exception {
        FlowDefinition flow = read("""
                {"StartAt": "a/b~c", "States": {"a/b~c": {"Type": "Pass", "End": true}}}""");
        assertThat(flow.body().steps().getFirst().task().path()).isEqualTo("/States/a~1b~0c");
    }

    // --- Task ----------------------------------------------------------------------------------

    @Test
    void aTaskCallsTheArrowItsResourceNames() throws Exception {
        for (String resource : List.of("arrow:charge", "arn:aws:lambda:eu-west-1:123456789012:function:charge",
                "arn:aws:lambda:us-east-1:123456789012:function:charge:prod",
                "arn:aws:lambda:us-east-1:123456789012:function:charge:$LATEST")) {
            Step.Call call = (Step.Call) first("\"Type\": \"Task\", \"Resource\": \"" + resource
                    + "\", \"TimeoutSeconds\": 30, \"Next\": \"Done\"");
            assertThat(call.arrow()).as(resource).isEqualTo("charge");
            assertThat(call.input()).isEmpty();
            assertThat(call.task().timeout()).contains(Duration.ofSeconds(30));
            assertThat(call.task().then()).isEqualTo(new Then.GoTo("Done"));
            assertThat(call.task().outputAs()).isEmpty();
        }
    }

    @Test
    void lambdaInvokeCallsTheFunctionNamedAndWrapsItsAnswerInPayload() throws Exception {
        Step.Call call = (Step.Call) first("""
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:charge:live",
                  "Payload": {"amount.$": "$.total", "currency": "EUR"}},
                "OutputPath": "$.Payload", "End": true""");
        assertThat(call.arrow()).isEqualTo("charge");
        assertThat(callInput(call, "{\"total\": 12.5}")).isEqualTo(json("{\"amount\": 12.5, \"currency\": \"EUR\"}"));
        assertThat(output(call.task(), "{\"total\": 12.5}", "{\"charged\": true}")).isEqualTo(json("{\"charged\": true}"));

        Step.Call plain = (Step.Call) first("""
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload.$": "$"}, "End": true""");
        assertThat(plain.arrow()).isEqualTo("charge");
        assertThat(callInput(plain, "{\"a\": 1}")).isEqualTo(json("{\"a\": 1}"));
        assertThat(output(plain.task(), "{}", "7")).isEqualTo(json("{\"Payload\": 7, \"StatusCode\": 200}"));
    }

    @Test
    void inputPathSelectsWhatTheTaskIsGiven() throws Exception {
        // AWS's InputPath example: "$.dataset2" of the documented input.
        Step.Call call = (Step.Call) first("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"InputPath\": \"$.dataset2\", \"End\": true");
        String input = """
                {"comment": "Example for InputPath.", "dataset1": {"val1": 1, "val2": 2, "val3": 3},
                 "dataset2": {"val1": "a", "val2": "b", "val3": "c"}}""";
        assertThat(callInput(call, input)).isEqualTo(json("{\"val1\": \"a\", \"val2\": \"b\", \"val3\": \"c\"}"));
    }

    @Test
    void parametersTakePathsAndLiteralsAfterInputPath() throws Exception {
        // AWS's Parameters example, behind an InputPath.
        Step.Call call = (Step.Call) first("""
                "Type": "Task", "Resource": "arrow:f", "InputPath": "$.order",
                "Parameters": {"comment": "Selecting what I care about.",
                  "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability",
                    "StaticValue": "foo", "looksLikeJq": "${ .secret }"},
                  "first.$": "$.items[0]", "quoted.$": "$['product']['details']['color']",
                  "run.$": "$$.Execution.Id", "start.$": "$$.Execution.Input.orderId"},
                "End": true""");
        String input = """
                {"order": {"product": {"details": {"color": "blue", "size": "small", "material": "cotton"},
                  "availability": "in stock", "sku": "2317", "cost": "$23"}, "items": ["x", "y"]}}""";
        assertThat(callInput(call, input)).isEqualTo(json("""
                {"comment": "Selecting what I care about.",
                 "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo", "looksLikeJq": "${ .secret }"},
                 "first": "x", "quoted": "blue", "run": "run-1", "start": "o-7"}"""));
    }

    @Test
    void resultPathMergesTheResultIntoTheRawInput() throws Exception {
        // AWS's ResultPath example: the greeting at $.taskresult, the input kept.
        Step.Call call = (Step.Call) first("""
                "Type": "Task", "Resource": "arrow:hello", "InputPath": "$.who", "ResultPath": "$.taskresult", "End": true""");
        String input = """
                {"comment": "This is a test of the input and output of a Task state.", "details": "Default example",
                 "who": "AWS Step Functions"}""";
        assertThat(callInput(call, input)).isEqualTo(json("\"AWS Step Functions\""));
        assertThat(output(call.task(), input, "\"Hello, AWS Step Functions!\"")).isEqualTo(json("""
                {"comment": "This is a test of the input and output of a Task state.", "details": "Default example",
                 "who": "AWS Step Functions", "taskresult": "Hello, AWS Step Functions!"}"""));

        Step.Call nested = (Step.Call) first("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"ResultPath\": \"$.a.b\", \"End\": true");
        assertThat(output(nested.task(), "{\"x\": 1}", "2")).isEqualTo(json("{\"x\": 1, \"a\": {\"b\": 2}}"));

        Step.Call replace = (Step.Call) first("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"ResultPath\": \"$\", \"End\": true");
        assertThat(replace.task().outputAs()).isEmpty();
    }

    @Test
    void aNullResultPathDiscardsTheResultAndKeepsTheInput() throws Exception {
        Step.Call call = (Step.Call) first("\"Type\": \"Task\", \"Resource\": \"arrow:notify\", \"ResultPath\": null, \"End\": true");
        assertThat(output(call.task(), "{\"order\": 1}", "{\"sent\": true}")).isEqualTo(json("{\"order\": 1}"));
    }

    @Test
    void resultSelectorThenResultPathThenOutputPath() throws Exception {
        // AWS's ResultSelector example (an EMR cluster's result), kept at $.EMROutput, then OutputPath.
        Step.Call call = (Step.Call) first("""
                "Type": "Task", "Resource": "arrow:cluster",
                "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType", "Fixed": 1},
                "ResultPath": "$.EMROutput", "OutputPath": "$.EMROutput", "End": true""");
        String result = """
                {"resourceType": "elasticmapreduce", "resource": "createCluster.sync",
                 "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}}""";
        assertThat(output(call.task(), "{\"cluster\": \"x\"}", result)).isEqualTo(json("""
                {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce", "Fixed": 1}"""));

        Step.Call without = (Step.Call) first("""
                "Type": "Task", "Resource": "arrow:cluster",
                "ResultSelector": {"ClusterId.$": "$.output.ClusterId"}, "ResultPath": "$.EMROutput", "End": true""");
        assertThat(output(without.task(), "{\"cluster\": \"x\"}", result)).isEqualTo(json("""
                {"cluster": "x", "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE"}}"""));
    }

    @Test
    void aNullOutputPathOrInputPathGivesAnEmptyObject() throws Exception {
        Step.Call call = (Step.Call) first("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"InputPath\": null, \"OutputPath\": null, \"End\": true");
        assertThat(callInput(call, "{\"a\": 1}")).isEqualTo(json("{}"));
        assertThat(output(call.task(), "{\"a\": 1}", "{\"b\": 2}")).isEqualTo(json("{}"));
    }

    @Test
    void intrinsicFunctionsBecomeJq() throws Exception {
        Step.Call call = (Step.Call) first("""
                "Type": "Task", "Resource": "arrow:f",
                "Parameters": {
                  "greeting.$": "States.Format('Hello, {}! You have {} items: {}', $.name, $.count, $.items)",
                  "escaped.$": "States.Format('a \\\\{\\\\} b \\\\' c {}', $.name)",
                  "parsed.$": "States.StringToJson($.raw)",
                  "text.$": "States.JsonToString($.obj)",
                  "array.$": "States.Array($.name, 2, 'three', true, null)",
                  "sum.$": "States.MathAdd($.count, -1)",
                  "length.$": "States.ArrayLength($.items)",
                  "nested.$": "States.ArrayLength(States.Array($.name, $.count))"},
                "End": true""");
        String input = """
                {"name": "Ada", "count": 3, "items": [1, 2], "raw": "{\\"k\\": [1]}", "obj": {"k": "v"}}""";
        assertThat(callInput(call, input)).isEqualTo(json("""
                {"greeting": "Hello, Ada! You have 3 items: [1,2]", "escaped": "a {} b ' c Ada",
                 "parsed": {"k": [1]}, "text": "{\\"k\\":\\"v\\"}", "array": ["Ada", 2, "three", true, null],
                 "sum": 2, "length": 2, "nested": 2}"""));
    }

    @Test
    void otherIntrinsicFunctionsAreRefusedWithTheirPath() {
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"Parameters\": {\"id.$\": \"States.UUID()\"}, \"End\": true"),
                "/States/S/Parameters/id.$", "States.UUID is not supported");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"Parameters\": {\"a\": {\"f.$\": \"States.Format('{} {}', $.a)\"}}, \"End\": true"),
                "/States/S/Parameters/a/f.$", "States.Format");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"Parameters\": {\"a.$\": \"hello\"}, \"End\": true"),
                "/States/S/Parameters/a.$", "neither a JSONPath nor an intrinsic function");
    }

    @Test
    void jsonPathFiltersAndWildcardsAreRefused() {
        for (String path : List.of("$..name", "$.items[*]", "$.items[?(@.price > 10)]", "$.items[0:2]", "$.*", "name")) {
            refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"InputPath\": \"" + path + "\", \"End\": true"),
                    "/States/S/InputPath", path.equals("name") ? "must start with $" : "filter, wildcard");
        }
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"InputPath\": \"$$.Task.Token\", \"End\": true"),
                "/States/S/InputPath", "not supported");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"InputPath\": \"$$.Map.Item.Value\", \"End\": true"),
                "/States/S/InputPath", "only defined inside a Map");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"ResultPath\": \"$$.Execution.Id\", \"End\": true"),
                "/States/S/ResultPath", "context object");
    }

    // --- Pass, Wait, Succeed, Fail -------------------------------------------------------------

    @Test
    void aPassSetsItsResultAtResultPath() throws Exception {
        Step.Set set = (Step.Set) first("""
                "Type": "Pass", "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355, "raw": "${ not jq }"},
                "ResultPath": "$.coords", "Next": "Done" """);
        JsonNode value = evaluate(set.value(), "{\"georefOf\": \"Home\"}");
        assertThat(value).isEqualTo(json("{\"x-datum\": 0.381018, \"y-datum\": 622.2269926397355, \"raw\": \"${ not jq }\"}"));
        assertThat(output(set.task(), "{\"georefOf\": \"Home\"}", value.toString())).isEqualTo(json("""
                {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355, "raw": "${ not jq }"}}"""));
        assertThat(set.task().then()).isEqualTo(new Then.GoTo("Done"));

        Step.Set parameters = (Step.Set) first("""
                "Type": "Pass", "InputPath": "$.a", "Parameters": {"b.$": "$.b", "c": 1}, "OutputPath": "$.b", "End": true""");
        JsonNode shaped = evaluate(parameters.value(), "{\"a\": {\"b\": 2}}");
        assertThat(shaped).isEqualTo(json("{\"b\": 2, \"c\": 1}"));
        assertThat(output(parameters.task(), "{\"a\": {\"b\": 2}}", shaped.toString())).isEqualTo(json("2"));

        Step.Set plain = (Step.Set) first("\"Type\": \"Pass\", \"End\": true");
        assertThat(evaluate(plain.value(), "{\"k\": 1}")).isEqualTo(json("{\"k\": 1}"));
    }

    @Test
    void waitsBecomeFixedUntilOrSecondsFrom() throws Exception {
        Step.Wait seconds = (Step.Wait) first("\"Type\": \"Wait\", \"Seconds\": 10, \"Next\": \"Done\"");
        assertThat(seconds.waitFor()).isEqualTo(new WaitFor.Fixed(Duration.ofSeconds(10)));
        assertThat(seconds.task().path()).isEqualTo("/States/S");
        assertThat(seconds.task().then()).isEqualTo(new Then.GoTo("Done"));
        WaitFor until = ((Step.Wait) first("\"Type\": \"Wait\", \"Timestamp\": \"2026-03-14T01:59:00Z\", \"End\": true")).waitFor();
        assertThat(Expressions.query(((WaitFor.Until) until).expression(), json("{}"), Map.of()))
                .isEqualTo(json("\"2026-03-14T01:59:00Z\""));
        Step.Wait secondsPath = (Step.Wait) first("\"Type\": \"Wait\", \"SecondsPath\": \"$.delay\", \"End\": true");
        assertThat(Expressions.query(((WaitFor.SecondsFrom) secondsPath.waitFor()).expression(), json("{\"delay\": 5}"),
                Map.of())).isEqualTo(json("5"));
        Step.Wait timestampPath = (Step.Wait) first("""
                "Type": "Wait", "InputPath": "$.shipment", "TimestampPath": "$.at", "End": true""");
        assertThat(evaluate(timestampPath.task().inputFrom().orElseThrow(), "{\"shipment\": {\"at\": \"t\"}}"))
                .isEqualTo(json("{\"at\": \"t\"}"));
        assertThat(Expressions.query(((WaitFor.Until) timestampPath.waitFor()).expression(), json("{\"at\": \"t\"}"),
                Map.of())).isEqualTo(json("\"t\""));
        refused(single("\"Type\": \"Wait\", \"Seconds\": 1, \"SecondsPath\": \"$.s\", \"End\": true"), "/States/S",
                "exactly one of");
        refused(single("\"Type\": \"Wait\", \"Timestamp\": \"tomorrow\", \"End\": true"), "/States/S/Timestamp",
                "not an ISO 8601");
    }

    @Test
    void succeedEndsTheRunWithItsInput() throws Exception {
        FlowDefinition flow = read("""
                {"StartAt": "Ok", "States": {"Ok": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}}""");
        Step.Set set = (Step.Set) flow.body().steps().getFirst();
        assertThat(set.task().then()).isEqualTo(new Then.End());
        JsonNode value = evaluate(set.value(), "{\"a\": {\"b\": 1}}");
        assertThat(value).isEqualTo(json("{\"b\": 1}"));
        assertThat(output(set.task(), "{\"a\": {\"b\": 1}}", value.toString())).isEqualTo(json("1"));
    }

    @Test
    void failRaisesItsErrorAndCause() throws Exception {
        Step.Raise raise = (Step.Raise) first("\"Type\": \"Fail\", \"Error\": \"OrderInvalid\", \"Cause\": \"no items\"");
        assertThat(raise.task().path()).isEqualTo("/States/S");
        assertThat(evaluate(raise.error(), "{}")).isEqualTo(json("""
                {"type": "OrderInvalid", "status": 500, "title": "OrderInvalid", "detail": "no items"}"""));
        Step.Raise paths = (Step.Raise) first("\"Type\": \"Fail\", \"ErrorPath\": \"$.code\", \"CausePath\": \"$.why\"");
        assertThat(evaluate(paths.error(), "{\"code\": \"Declined\", \"why\": \"card expired\"}")).isEqualTo(json("""
                {"type": "Declined", "status": 500, "title": "Declined", "detail": "card expired"}"""));
        refused(single("\"Type\": \"Fail\", \"Error\": \"E\", \"Next\": \"Done\""), "/States/S/Next", "Next is not supported");
    }

    // --- Choice --------------------------------------------------------------------------------

    @Test
    void aChoiceIsASwitchWhoseRulesAreJqConditions() throws Exception {
        FlowDefinition flow = read("""
                {"StartAt": "Route", "States": {
                  "Route": {"Type": "Choice", "Choices": [
                    {"Variable": "$.type", "StringEquals": "express", "Next": "Express"},
                    {"And": [{"Variable": "$.total", "NumericGreaterThanEquals": 100},
                             {"Not": {"Variable": "$.vip", "BooleanEquals": true}}], "Next": "Review"},
                    {"Or": [{"Variable": "$.code", "StringMatches": "EU-*.x"}, {"Variable": "$.limit", "IsPresent": true}],
                     "Next": "Review"},
                    {"Variable": "$.total", "NumericLessThanPath": "$.limit", "Next": "Express"}],
                   "Default": "Standard"},
                  "Express": {"Type": "Pass", "End": true},
                  "Review": {"Type": "Pass", "End": true},
                  "Standard": {"Type": "Pass", "End": true}}}""");
        Step.Switch route = (Step.Switch) flow.body().steps().getFirst();
        assertThat(route.cases()).extracting(Step.Switch.Case::then).containsExactly(new Then.GoTo("Express"),
                new Then.GoTo("Review"), new Then.GoTo("Review"), new Then.GoTo("Express"), new Then.GoTo("Standard"));
        assertThat(route.cases().getLast().when()).isEmpty();
        assertThat(chosen(route, "{\"type\": \"express\"}")).isEqualTo("Express");
        assertThat(chosen(route, "{\"type\": \"standard\", \"total\": 150, \"vip\": false}")).isEqualTo("Review");
        assertThat(chosen(route, "{\"type\": \"standard\", \"total\": 150, \"vip\": true}")).isEqualTo("Standard");
        assertThat(chosen(route, "{\"total\": \"150\"}")).isEqualTo("Standard");
        assertThat(chosen(route, "{\"code\": \"EU-fr.x\"}")).isEqualTo("Review");
        assertThat(chosen(route, "{\"code\": \"EU-fr.y\"}")).isEqualTo("Standard");
        assertThat(chosen(route, "{\"total\": 5, \"limit\": null}")).isEqualTo("Review");
        assertThat(chosen(route, "{\"total\": 5, \"nested\": {\"limit\": 1}}")).isEqualTo("Standard");
    }

    @Test
    void typeTestsAndTimestampsCompare() throws Exception {
        Step.Switch tests = (Step.Switch) read("""
                {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
                  {"Variable": "$.a", "IsNull": true, "Next": "N"},
                  {"Variable": "$.a", "IsNumeric": true, "Next": "Num"},
                  {"Variable": "$.a", "IsTimestamp": true, "Next": "Ts"},
                  {"Variable": "$.a", "IsString": true, "Next": "S"},
                  {"Variable": "$.a", "IsBoolean": true, "Next": "B"},
                  {"Variable": "$.a.b", "TimestampLessThan": "2026-01-01T00:00:00Z", "Next": "Old"},
                  {"Variable": "$.a.c", "StringGreaterThan": "m", "Next": "Late"}], "Default": "Other"},
                  "N": {"Type": "Succeed"}, "Num": {"Type": "Succeed"}, "Ts": {"Type": "Succeed"},
                  "S": {"Type": "Succeed"}, "B": {"Type": "Succeed"}, "Old": {"Type": "Succeed"},
                  "Late": {"Type": "Succeed"}, "Other": {"Type": "Succeed"}}}""").body().steps().getFirst();
        assertThat(chosen(tests, "{\"a\": null}")).isEqualTo("N");
        assertThat(chosen(tests, "{\"a\": 1.5}")).isEqualTo("Num");
        assertThat(chosen(tests, "{\"a\": \"2026-03-14T01:59:00.5+01:00\"}")).isEqualTo("Ts");
        assertThat(chosen(tests, "{\"a\": \"text\"}")).isEqualTo("S");
        assertThat(chosen(tests, "{\"a\": false}")).isEqualTo("B");
        assertThat(chosen(tests, "{\"a\": {\"b\": \"2025-12-31T23:00:00Z\"}}")).isEqualTo("Old");
        assertThat(chosen(tests, "{\"a\": {\"b\": \"2026-12-31T23:00:00Z\", \"c\": \"z\"}}")).isEqualTo("Late");
        assertThat(chosen(tests, "{\"a\": {\"c\": \"a\"}}")).isEqualTo("Other");
    }

    /** The name the first matching case goes to. */
    private static String chosen(Step.Switch choice, String input) throws ExpressionException {
        JsonNode raw = json(input);
        for (Step.Switch.Case option : choice.cases()) {
            if (option.when().isEmpty() || Expressions.test(option.when().get(), raw, variables(raw))) {
                return ((Then.GoTo) option.then()).task();
            }
        }
        throw new AssertionError("no case matched " + input);
    }

    @Test
    void aChoiceWithoutDefaultRaisesNoChoiceMatched() throws Exception {
        FlowDefinition flow = read("""
                {"StartAt": "Route", "States": {
                  "Route": {"Type": "Choice", "InputPath": "$.order", "OutputPath": "$.id",
                    "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Yes"}]},
                  "Yes": {"Type": "Succeed"}}}""");
        List<Step> steps = flow.body().steps();
        Step.Switch route = (Step.Switch) steps.getFirst();
        assertThat(evaluate(route.task().inputFrom().orElseThrow(), "{\"order\": {\"ok\": true, \"id\": 4}}"))
                .isEqualTo(json("{\"ok\": true, \"id\": 4}"));
        assertThat(output(route.task(), "{}", "{\"ok\": true, \"id\": 4}")).isEqualTo(json("4"));
        assertThat(chosen(route, "{\"ok\": false}")).isEqualTo("Route.NoChoiceMatched");
        Step.Raise raise = (Step.Raise) steps.getLast();
        assertThat(raise.task().name()).isEqualTo("Route.NoChoiceMatched");
        assertThat(raise.task().path()).isEqualTo("/States/Route/Default");
        assertThat(evaluate(raise.error(), "{}").get("type").asText()).isEqualTo("States.NoChoiceMatched");
    }

    @Test
    void choiceRulesAreChecked() {
        refused("""
                {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
                  {"Variable": "$.a", "StringEquals": 1, "Next": "D"}]}, "D": {"Type": "Succeed"}}}""",
                "/States/C/Choices/0/StringEquals", "compares with a string");
        refused("""
                {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
                  {"Variable": "$.a", "StringIsLovely": "x", "Next": "D"}]}, "D": {"Type": "Succeed"}}}""",
                "/States/C/Choices/0/StringIsLovely", "not a choice rule operator");
        refused("""
                {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
                  {"Variable": "$.a", "IsNull": true, "Next": "Nowhere"}]}, "D": {"Type": "Succeed"}}}""",
                "/States/C/Choices/0/Next", "Nowhere");
        refused("""
                {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
                  {"Not": {"Variable": "$.a", "IsNull": true, "Next": "D"}, "Next": "D"}]}, "D": {"Type": "Succeed"}}}""",
                "/States/C/Choices/0/Not/Next", "only a top-level choice rule");
    }

    // --- Parallel and Map ----------------------------------------------------------------------

    @Test
    void aParallelIsAForkOfItsBranches() throws Exception {
        Step.Fork fork = (Step.Fork) read("""
                {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "InputPath": "$.order",
                  "Branches": [
                    {"StartAt": "Pack", "States": {"Pack": {"Type": "Task", "Resource": "arrow:pack", "Next": "Label"},
                                                   "Label": {"Type": "Task", "Resource": "arrow:label", "End": true}}},
                    {"StartAt": "Bill", "States": {"Bill": {"Type": "Task", "Resource": "arrow:bill", "End": true}}}],
                  "ResultSelector": {"packed.$": "$[0]", "billed.$": "$[1]"}, "ResultPath": "$.results", "End": true}}}""")
                .body().steps().getFirst();
        assertThat(fork.compete()).isFalse();
        assertThat(fork.task().path()).isEqualTo("/States/Both");
        assertThat(fork.task().then()).isEqualTo(new Then.End());
        Step.Sequence first = (Step.Sequence) fork.branches().get(0);
        assertThat(first.task().path()).isEqualTo("/States/Both/Branches/0");
        assertThat(first.steps()).extracting(step -> step.task().path())
                .containsExactly("/States/Both/Branches/0/States/Pack", "/States/Both/Branches/0/States/Label");
        // End inside a branch ends the branch, not the run.
        assertThat(first.steps().getLast().task().then()).isEqualTo(new Then.Exit());
        assertThat(evaluate(first.task().inputFrom().orElseThrow(), "{\"order\": {\"id\": 1}}")).isEqualTo(json("{\"id\": 1}"));
        assertThat(output(fork.task(), "{\"order\": {\"id\": 1}}", "[\"p\", \"b\"]")).isEqualTo(json("""
                {"order": {"id": 1}, "results": {"packed": "p", "billed": "b"}}"""));
    }

    @Test
    void aMapIsAConcurrentForEachOverItemsPath() throws Exception {
        Step.ForEach map = (Step.ForEach) read("""
                {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.order.items", "MaxConcurrency": 5,
                  "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku", "position.$": "$$.Map.Item.Index", "order.$": "$.order.id"},
                  "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Reserve",
                    "States": {"Reserve": {"Type": "Task", "Resource": "arrow:reserve", "End": true}}},
                  "ResultPath": "$.reserved", "Next": "Done"},
                  "Done": {"Type": "Succeed"}}}""").body().steps().getFirst();
        assertThat(map.maxConcurrency()).contains(5);
        assertThat(map.whileCondition()).isEmpty();
        String input = "{\"order\": {\"id\": \"o-1\", \"items\": [{\"sku\": \"a\"}, {\"sku\": \"b\"}]}}";
        assertThat(Expressions.query(map.in(), json(input), Map.of())).isEqualTo(json("[{\"sku\": \"a\"}, {\"sku\": \"b\"}]"));
        Map<String, JsonNode> iteration = variables(json(input));
        iteration.put(map.each(), json("{\"sku\": \"b\"}"));
        iteration.put(map.at(), json("1"));
        assertThat(Expressions.evaluate(processor(map).task().inputFrom().orElseThrow(), json(input), iteration))
                .isEqualTo(json("{\"sku\": \"b\", \"position\": 1, \"order\": \"o-1\"}"));
        Step reserve = processor(map).steps().getFirst();
        assertThat(reserve.task().path()).isEqualTo("/States/Each/ItemProcessor/States/Reserve");
        assertThat(reserve.task().then()).isEqualTo(new Then.Exit());
        assertThat(output(map.task(), "{\"order\": {}}", "[1, 2]")).isEqualTo(json("{\"order\": {}, \"reserved\": [1, 2]}"));

        Step.ForEach iterator = (Step.ForEach) read("""
                {"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 0,
                  "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}, "End": true}}}""")
                .body().steps().getFirst();
        assertThat(iterator.maxConcurrency()).contains(40);
        assertThat(Expressions.query(iterator.in(), json("[1, 2]"), Map.of())).isEqualTo(json("[1, 2]"));
        Map<String, JsonNode> item = variables(json("[1, 2]"));
        item.put(iterator.each(), json("2"));
        assertThat(Expressions.evaluate(processor(iterator).task().inputFrom().orElseThrow(), json("[1, 2]"), item))
                .isEqualTo(json("2"));
        assertThat(processor(iterator).steps().getFirst().task().path()).isEqualTo("/States/Each/Iterator/States/X");
    }

    @Test
    void nestedMapsHaveVariablesOfTheirOwn() throws Exception {
        Step.ForEach outer = (Step.ForEach) read("""
                {"StartAt": "Outer", "States": {"Outer": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Inner",
                  "States": {"Inner": {"Type": "Map", "End": true, "ItemsPath": "$.lines",
                    "ItemSelector": {"line.$": "$$.Map.Item.Value"},
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}}}}""")
                .body().steps().getFirst();
        Step.ForEach inner = (Step.ForEach) processor(outer).steps().getFirst();
        assertThat(inner.each()).isNotEqualTo(outer.each());
        assertThat(inner.at()).isNotEqualTo(outer.at());
        assertThat(processor(inner).task().inputFrom().orElseThrow().get("line").asText()).contains("$" + inner.each());
    }

    /** A Map's processor: the one step of the for body, which takes the item as its input. */
    private static Step.Sequence processor(Step.ForEach map) {
        assertThat(map.body().steps()).hasSize(1);
        return (Step.Sequence) map.body().steps().getFirst();
    }

    // --- Retry and Catch -----------------------------------------------------------------------

    @Test
    void retriersAndCatchersWrapTheStateInTries() throws Exception {
        FlowDefinition flow = read("""
                {"StartAt": "Charge", "States": {
                  "Charge": {"Type": "Task", "Resource": "arrow:charge", "ResultPath": "$.payment", "Next": "Ship",
                    "Retry": [
                      {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 1.5,
                       "MaxDelaySeconds": 10, "JitterStrategy": "FULL"},
                      {"ErrorEquals": ["States.ALL"]}],
                    "Catch": [
                      {"ErrorEquals": ["CardDeclined"], "ResultPath": "$.failure", "Next": "Declined"},
                      {"ErrorEquals": ["States.ALL"], "Next": "Broken"}]},
                  "Ship": {"Type": "Succeed"}, "Declined": {"Type": "Fail", "Error": "Declined"},
                  "Broken": {"Type": "Fail", "Error": "Broken"}}}""");
        Step.Try outer = (Step.Try) flow.body().steps().getFirst();
        assertThat(outer.task().name()).isEqualTo("Charge");
        assertThat(outer.task().then()).isEqualTo(new Then.GoTo("Ship"));
        assertThat(outer.task().path()).isEqualTo("/States/Charge");
        assertThat(outer.handler().errors()).isEqualTo(ErrorFilter.any());
        assertThat(outer.handler().body().orElseThrow().task().then()).isEqualTo(new Then.GoTo("Broken"));

        Step.Try declined = (Step.Try) outer.body().steps().getFirst();
        assertThat(declined.task().path()).isEqualTo("/States/Charge/try");
        assertThat(declined.task().then()).isEqualTo(new Then.Continue());
        assertThat(declined.handler().errors().types()).containsExactly("CardDeclined");
        assertThat(declined.handler().retry()).isEmpty();
        Step.Sequence handled = declined.handler().body().orElseThrow();
        assertThat(handled.task().then()).isEqualTo(new Then.GoTo("Declined"));
        Step.Set put = (Step.Set) handled.steps().getFirst();
        JsonNode error = new FlowError("https://shop.example/errors/CardDeclined", 402, "Card declined", "expired", "/States/Charge")
                .toJson();
        Map<String, JsonNode> caught = variables(json("{\"order\": 1}"));
        caught.put("error", error);
        assertThat(Expressions.evaluate(put.value(), json("{\"order\": 1}"), caught)).isEqualTo(json("""
                {"order": 1, "failure": {"Error": "CardDeclined", "Cause": "expired"}}"""));
        Map<String, JsonNode> timedOut = variables(json("{}"));
        timedOut.put("error", new FlowError(FlowError.TIMEOUT, 408, "Timed out", null, "/States/Charge").toJson());
        assertThat(Expressions.evaluate(put.value(), json("{}"), timedOut).get("failure"))
                .isEqualTo(json("{\"Error\": \"States.Timeout\", \"Cause\": \"Timed out\"}"));
        JsonNode whole = Expressions.evaluate(((Step.Set) outer.handler().body().orElseThrow().steps().getFirst()).value(),
                json("{}"), caught);
        assertThat(whole).isEqualTo(json("{\"Error\": \"CardDeclined\", \"Cause\": \"expired\"}"));

        Step.Try all = (Step.Try) declined.body().steps().getFirst();
        assertThat(all.task().path()).isEqualTo("/States/Charge/try/try");
        assertThat(all.handler().errors()).isEqualTo(ErrorFilter.any());
        RetryPolicy defaults = all.handler().retry().orElseThrow();
        assertThat(defaults.attempts()).contains(4);
        assertThat(defaults.delay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.backoff()).isEqualTo(new RetryPolicy.Backoff.Exponential(2.0));
        assertThat(defaults.jitterTo()).isEqualTo(Duration.ZERO);
        // A timeout is the first retrier's: once its attempts are spent the second must not retry it again.
        Map<String, JsonNode> timeout = variables(json("{}"));
        timeout.put("error", new FlowError(FlowError.TIMEOUT, 408, "Timed out", null, "/States/Charge").toJson());
        assertThat(Expressions.test(all.handler().exceptWhen().orElseThrow(), json("{}"), timeout)).isTrue();
        assertThat(Expressions.test(all.handler().exceptWhen().orElseThrow(), json("{}"), caught)).isFalse();
        assertReRaises(all);

        Step.Try timeouts = (Step.Try) all.body().steps().getFirst();
        assertThat(timeouts.task().path()).isEqualTo("/States/Charge/try/try/try");
        assertThat(timeouts.handler().errors().types()).contains(FlowError.TIMEOUT);
        assertThat(timeouts.handler().errors().matches(new FlowError(FlowError.TIMEOUT, 408, null, null, null))).isTrue();
        assertThat(timeouts.handler().exceptWhen()).isEmpty();
        RetryPolicy policy = timeouts.handler().retry().orElseThrow();
        assertThat(policy.attempts()).contains(5);
        assertThat(policy.delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.backoff()).isEqualTo(new RetryPolicy.Backoff.Exponential(1.5));
        assertThat(policy.maxDelay()).contains(Duration.ofSeconds(10));
        assertThat(policy.jitterFrom()).isEqualTo(Duration.ZERO);
        assertThat(policy.jitterTo()).isEqualTo(Duration.ofSeconds(2));
        assertReRaises(timeouts);

        Step.Call call = (Step.Call) timeouts.body().steps().getFirst();
        assertThat(call.task().path()).isEqualTo("/States/Charge/try/try/try/try");
        assertThat(handled.steps().getFirst().task().path()).isEqualTo("/States/Charge/try/catch/ResultPath");
        assertThat(call.task().then()).isEqualTo(new Then.Continue());
        assertThat(output(call.task(), "{\"order\": 1}", "{\"id\": \"p\"}")).isEqualTo(json("{\"order\": 1, \"payment\": {\"id\": \"p\"}}"));
    }

    private static void assertReRaises(Step.Try retrier) throws ExpressionException {
        Step.Raise again = (Step.Raise) retrier.handler().body().orElseThrow().steps().getFirst();
        Map<String, JsonNode> caught = variables(json("{}"));
        JsonNode error = new FlowError("Oops", 500, "Oops", "bad", "/States/Charge").toJson();
        caught.put(retrier.handler().as(), error);
        assertThat(Expressions.evaluate(again.error(), json("{}"), caught)).isEqualTo(error);
    }

    @Test
    void taskFailedIsEveryErrorButATimeout() throws Exception {
        Step.Try task = (Step.Try) first("""
                "Type": "Task", "Resource": "arrow:f", "End": true,
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": null, "Next": "Done"}]""");
        Step.Catch handler = task.handler();
        assertThat(handler.errors()).isEqualTo(ErrorFilter.any());
        Map<String, JsonNode> timeout = variables(json("{}"));
        timeout.put("error", new FlowError(FlowError.TIMEOUT, 408, null, null, null).toJson());
        assertThat(Expressions.test(handler.exceptWhen().orElseThrow(), json("{}"), timeout)).isTrue();
        Map<String, JsonNode> custom = variables(json("{\"a\": 1}"));
        custom.put("error", new FlowError("OrderInvalid", 500, null, "x", null).toJson());
        assertThat(Expressions.test(handler.exceptWhen().orElseThrow(), json("{}"), custom)).isFalse();
        JsonNode kept = Expressions.evaluate(((Step.Set) handler.body().orElseThrow().steps().getFirst()).value(),
                json("{\"a\": 1}"), custom);
        assertThat(kept).isEqualTo(json("{\"a\": 1}"));
        Step.Try runtime = (Step.Try) first("""
                "Type": "Task", "Resource": "arrow:f", "End": true,
                "Catch": [{"ErrorEquals": ["States.Runtime", "Custom"], "Next": "Done"}]""");
        assertThat(runtime.handler().errors().matches(new FlowError(FlowError.EXPRESSION, 400, null, null, null))).isTrue();
        assertThat(runtime.handler().errors().matches(new FlowError("https://x.example/Custom", 500, null, null, null))).isTrue();
        assertThat(runtime.handler().errors().matches(new FlowError(FlowError.COMMUNICATION, 500, null, null, null))).isFalse();
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"End\": true, "
                + "\"Retry\": [{\"ErrorEquals\": [\"States.ALL\", \"X\"]}]"), "/States/S/Retry/0/ErrorEquals", "States.ALL");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"End\": true, "
                + "\"Catch\": [{\"ErrorEquals\": [\"X\"], \"Next\": \"Gone\"}]"), "/States/S/Catch/0/Next", "Gone");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"End\": true, "
                + "\"Retry\": [{\"ErrorEquals\": [\"X\"], \"MaxAttempts\": -1}]"), "/States/S/Retry/0/MaxAttempts", "whole number");
    }

    // --- refusals ------------------------------------------------------------------------------

    @Test
    void whatArrowDoesNotRunIsRefusedWithItsPathAndField() {
        refused("{\"StartAt\": ", "/", "not valid JSON");
        refused("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}} trailing", "/", "not valid JSON");
        refused("[]", "/", "JSON object");
        refused("{\"States\": {\"A\": {\"Type\": \"Succeed\"}}}", "/StartAt", "StartAt");
        refused("{\"StartAt\": \"B\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}", "/StartAt", "'B'");
        refused("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}}}", "/States/A/Next", "'B'");
        refused("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\"}}}", "/States/A", "Next or");
        refused("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"End\": true}, \"A\": {\"Type\": \"Pass\", \"End\": true}}}",
                "/", "Duplicate");
        refused(single("\"Type\": \"Activity\", \"End\": true"), "/States/S/Type", "'Activity'");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::dynamodb:putItem\", \"End\": true"),
                "/States/S/Resource", "dynamodb:putItem");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke.waitForTaskToken\", \"End\": true"),
                "/States/S/Resource", "not supported");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"Credentials\": {}, \"End\": true"),
                "/States/S/Credentials", "Credentials");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"Arguments\": {}, \"End\": true"),
                "/States/S/Arguments", "Arguments");
        refused(single("\"Type\": \"Pass\", \"Output\": {}, \"End\": true"), "/States/S/Output", "Output");
        refused(single("\"Type\": \"Pass\", \"Assign\": {}, \"End\": true"), "/States/S/Assign", "Assign");
        refused(single("\"Type\": \"Task\", \"Resource\": \"arrow:f\", \"HeartbeatSeconds\": 5, \"End\": true"),
                "/States/S/HeartbeatSeconds", "HeartbeatSeconds");
        refused(single("\"Type\": \"Pass\", \"QueryLanguage\": \"JSONata\", \"End\": true"), "/States/S/QueryLanguage", "JSONata");
        refused("{\"QueryLanguage\": \"JSONata\", \"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}",
                "/QueryLanguage", "JSONata");
        String processor = "\"ItemProcessor\": {\"StartAt\": \"X\", \"States\": {\"X\": {\"Type\": \"Pass\", \"End\": true}}}";
        refused(single("\"Type\": \"Map\", " + processor + ", \"ItemReader\": {}, \"End\": true"), "/States/S/ItemReader", "ItemReader");
        refused(single("\"Type\": \"Map\", " + processor + ", \"ResultWriter\": {}, \"End\": true"), "/States/S/ResultWriter", "ResultWriter");
        refused(single("""
                "Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                  "StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}"""),
                "/States/S/ItemProcessor/ProcessorConfig/ExecutionType", "ExecutionType");
        refused(single("""
                "Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                  "StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}"""),
                "/States/S/ItemProcessor/ProcessorConfig/Mode", "distributed");
        refused(single("""
                "Type": "Parallel", "End": true, "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Bogus"}}}]"""),
                "/States/S/Branches/0/States/X/Type", "'Bogus'");
        refused(single("""
                "Type": "Map", "End": true, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "S"}}}"""),
                "/States/S/ItemProcessor/States/X/Next", "'S'");
    }

    // --- realistic machines --------------------------------------------------------------------

    private static String resource(String name) throws IOException {
        try (InputStream in = AslImporterTest.class.getResourceAsStream("/asl/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Step named(List<Step> steps, String name) {
        return steps.stream().filter(step -> step.task().name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void anOrderWorkflowImports() throws Exception {
        FlowDefinition flow = AslImporter.read("order-workflow", resource("order-workflow.json"));
        List<Step> steps = flow.body().steps();
        assertThat(steps.getFirst().task().name()).isEqualTo("Validate");
        assertThat(steps).allSatisfy(step -> assertThat(step.task().path()).isEqualTo("/States/" + step.task().name()));
        assertThat(flow.timeout()).contains(Duration.ofHours(1));

        Step.Try validate = (Step.Try) named(steps, "Validate");
        assertThat(validate.task().then()).isEqualTo(new Then.GoTo("Route"));
        Step.Switch route = (Step.Switch) named(steps, "Route");
        assertThat(chosen(route, "{\"order\": {\"total\": 20, \"items\": []}}")).isEqualTo("Rejected");
        assertThat(chosen(route, "{\"order\": {\"total\": 2000, \"items\": [1]}}")).isEqualTo("ManualReview");
        assertThat(chosen(route, "{\"order\": {\"total\": 20, \"items\": [1]}, \"customer\": {\"tier\": \"gold\"}}"))
                .isEqualTo("Fulfil");

        Step.Try fulfil = (Step.Try) named(steps, "Fulfil");
        Step.Fork fork = (Step.Fork) fulfil.body().steps().getFirst();
        assertThat(fork.branches()).hasSize(2);
        Step.Sequence reserve = (Step.Sequence) fork.branches().getFirst();
        Step.ForEach items = (Step.ForEach) reserve.steps().getFirst();
        assertThat(items.maxConcurrency()).contains(10);
        Step.Try reserveItem = (Step.Try) processor(items).steps().getFirst();
        assertThat(reserveItem.task().path()).isEqualTo("/States/Fulfil/try/Branches/0/States/ReserveItems/ItemProcessor/States/ReserveItem");
        Step.Call reserveCall = (Step.Call) reserveItem.body().steps().getFirst();
        assertThat(reserveCall.arrow()).isEqualTo("reserve-stock");
        Map<String, JsonNode> iteration = variables(json(ORDER));
        iteration.put(items.each(), json("{\"sku\": \"book-1\", \"quantity\": 2}"));
        iteration.put(items.at(), json("0"));
        JsonNode itemInput = Expressions.evaluate(processor(items).task().inputFrom().orElseThrow(), json(ORDER), iteration);
        assertThat(itemInput).isEqualTo(json("{\"orderId\": \"o-42\", \"sku\": \"book-1\", \"quantity\": 2, \"line\": 0}"));

        Step.Sequence charge = (Step.Sequence) fork.branches().getLast();
        Step.Try chargeTry = (Step.Try) charge.steps().getFirst();
        Step.Call chargeCall = (Step.Call) ((Step.Try) chargeTry.body().steps().getFirst()).body().steps().getFirst();
        assertThat(chargeCall.arrow()).isEqualTo("charge-card");
        assertThat(callInput(chargeCall, ORDER)).isEqualTo(json("""
                {"orderId": "o-42", "amount": 59.8, "reference": "order o-42 for Ada"}"""));
        assertThat(output(chargeCall.task(), ORDER, "{\"paymentId\": \"p-9\"}"))
                .isEqualTo(json("{\"paymentId\": \"p-9\"}"));
        assertThat(output(fork.task(), ORDER, "[[{\"ok\": true}], {\"paymentId\": \"p-9\"}]").get("fulfilment"))
                .isEqualTo(json("{\"reservations\": [{\"ok\": true}], \"payment\": {\"paymentId\": \"p-9\"}}"));
        assertThat(fulfil.handler().body().orElseThrow().task().then()).isEqualTo(new Then.GoTo("Refund"));

        assertThat(named(steps, "Rejected")).isInstanceOf(Step.Raise.class);
        assertThat(named(steps, "Shipped").task().then()).isEqualTo(new Then.End());
        assertThat(named(steps, "WaitForCourier")).isInstanceOf(Step.Wait.class);
    }

    private static final String ORDER = """
            {"order": {"id": "o-42", "total": 59.8, "items": [{"sku": "book-1", "quantity": 2}]},
             "customer": {"name": "Ada", "tier": "gold"}}""";

    @Test
    void aDocumentPipelineImports() throws Exception {
        FlowDefinition flow = AslImporter.read("documents", resource("document-pipeline.json"));
        List<Step> steps = flow.body().steps();
        assertThat(steps).extracting(step -> step.task().name()).startsWith("Receive");
        Step.Set receive = (Step.Set) named(steps, "Receive");
        String upload = "{\"bucket\": \"docs\", \"key\": \"a.pdf\", \"pageList\": [1, 2, 3]}";
        JsonNode received = evaluate(receive.value(), upload);
        assertThat(output(receive.task(), upload, received.toString()))
                .isEqualTo(json("""
                        {"bucket": "docs", "key": "a.pdf", "pageList": [1, 2, 3],
                         "document": {"location": "docs/a.pdf", "run": "run-1", "pageList": [1, 2, 3]}}"""));
        Step.ForEach pages = (Step.ForEach) named(steps, "OcrPages");
        assertThat(pages.maxConcurrency()).contains(40);
        Step.Try ocr = (Step.Try) processor(pages).steps().getFirst();
        Step.Call ocrCall = (Step.Call) ocr.body().steps().getFirst();
        assertThat(ocrCall.arrow()).isEqualTo("ocr");
        assertThat(ocr.handler().retry().orElseThrow().attempts()).contains(3);
        Step.Switch large = (Step.Switch) named(steps, "IsLarge");
        assertThat(chosen(large, "{\"document\": {\"pageList\": [1, 2, 3]}, \"pageCount\": 3}")).isEqualTo("Summarise");
        assertThat(chosen(large, "{\"pageCount\": 30}")).isEqualTo("Throttle");
        assertThat(((Step.Wait) named(steps, "Throttle")).waitFor()).isEqualTo(new WaitFor.Fixed(Duration.ofSeconds(30)));
        Step.Set count = (Step.Set) named(steps, "Count");
        assertThat(evaluate(count.value(), "{\"texts\": [\"a\", \"b\"], \"document\": {}}")).isEqualTo(json("""
                {"texts": ["a", "b"], "pageCount": 2}"""));
        Step.Call summarise = (Step.Call) ((Step.Try) named(steps, "Summarise")).body().steps().getFirst();
        assertThat(summarise.arrow()).isEqualTo("summarise");
        assertThat(summarise.task().timeout()).contains(Duration.ofSeconds(120));
        assertThat(Optional.of(named(steps, "Failed"))).get().isInstanceOf(Step.Raise.class);
    }
}
