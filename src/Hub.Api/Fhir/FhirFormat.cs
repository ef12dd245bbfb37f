using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Hub.Api.Fhir;

public enum WireFormat { Json, Xml }

/// <summary>FHIR JSON and XML on the wire: content negotiation, parsing with element-named errors, writing.</summary>
public static class FhirFormat
{
    public const string JsonMime = "application/fhir+json", XmlMime = "application/fhir+xml";

    static readonly FhirJsonDeserializer JsonReader = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    static readonly FhirXmlDeserializer XmlReader = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    static readonly BaseFhirJsonSerializer JsonWriter = new(Hl7.Fhir.Model.ModelInfo.ModelInspector);
    static readonly FhirXmlSerializer XmlWriter = new();

    /// <summary>The format the caller asked for: `_format` first, then `Accept`; JSON when neither says.</summary>
    public static WireFormat? Negotiate(HttpRequest request)
    {
        var format = request.Query["_format"].ToString();
        if (!string.IsNullOrEmpty(format))
            return format.Contains("xml", StringComparison.OrdinalIgnoreCase) ? WireFormat.Xml
                 : format.Contains("json", StringComparison.OrdinalIgnoreCase) ? WireFormat.Json : null;
        var accept = request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(accept) || accept.Contains("*/*")) return WireFormat.Json;
        if (accept.Contains("json", StringComparison.OrdinalIgnoreCase)) return WireFormat.Json;
        if (accept.Contains("xml", StringComparison.OrdinalIgnoreCase)) return WireFormat.Xml;
        if (accept.Contains("text/html", StringComparison.OrdinalIgnoreCase)) return WireFormat.Json;
        return null;
    }

    /// <summary>The format of a request body from its Content-Type; null when it is not a FHIR format (415).</summary>
    public static WireFormat? BodyFormat(HttpRequest request)
    {
        var type = request.ContentType ?? "";
        if (type.Contains("json", StringComparison.OrdinalIgnoreCase)) return WireFormat.Json;
        if (type.Contains("xml", StringComparison.OrdinalIgnoreCase)) return WireFormat.Xml;
        return null;
    }

    public static string Mime(WireFormat f) => f == WireFormat.Xml ? XmlMime : JsonMime;

    /// <summary>Parses a body into a resource; every structural problem becomes an issue naming its element.</summary>
    public static Resource Parse(ReadOnlySpan<byte> body, WireFormat format)
    {
        try
        {
            if (format == WireFormat.Json)
            {
                var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
                return JsonReader.DeserializeResource(ref reader);
            }
            // The XmlReader forbids DTDs, so an external entity can never be fetched or expanded.
            using var stream = new MemoryStream(body.ToArray());
            using var xml = System.Xml.XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            return XmlReader.DeserializeResource(xml);
        }
        catch (DeserializationFailedException e)
        {
            throw new FhirProblem(400, ToOutcome(e.Exceptions));
        }
        catch (JsonException e)
        {
            throw FhirProblem.Invalid($"Malformed JSON: {e.Message}", e.Path);
        }
        catch (XmlException e)
        {
            throw FhirProblem.Invalid($"Malformed XML: {e.Message}");
        }
        catch (Hl7.Fhir.ElementModel.StructuralTypeException e)
        {
            throw FhirProblem.Invalid(e.Message);
        }
    }

    static OperationOutcome ToOutcome(IEnumerable<CodedException> errors)
    {
        var outcome = new OperationOutcome();
        foreach (var e in errors)
        {
            var issue = new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.Structure,
                Diagnostics = e.Message,
                Details = new CodeableConcept { Text = $"{e.ErrorCode}: {e.Message}" },
            };
            if (e is ExtendedCodedException x && !string.IsNullOrEmpty(x.InstancePath)) issue.Expression = [x.InstancePath];
            outcome.Issue.Add(issue);
        }
        return outcome;
    }

    [ThreadStatic] static ArrayBufferWriter<byte>? buffer;
    [ThreadStatic] static Utf8JsonWriter? writer;

    /// <summary>
    /// Serialises to JSON in a buffer kept per thread and hands the bytes to <paramref name="use"/> before the buffer is
    /// reused: hashing and storing hundreds of thousands of resources in an import then allocate no array per resource.
    /// </summary>
    public static T WithJson<T>(Base resource, Func<ReadOnlySpan<byte>, T> use)
    {
        var b = buffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        var w = writer ??= new Utf8JsonWriter(b);
        try
        {
            JsonWriter.Serialize(resource, w);
            w.Flush();
            return use(b.WrittenSpan);
        }
        finally
        {
            w.Reset(b);
            b.ResetWrittenCount();
            // One huge resource must not pin a huge buffer to the thread for ever.
            if (b.Capacity > 1 << 20) (buffer, writer) = (null, null);
        }
    }

    public static byte[] Serialize(Base resource, WireFormat format) =>
        format == WireFormat.Xml ? XmlWriter.SerializeToBytes(resource) : JsonWriter.SerializeToBytes(resource);

    public static string SerializeToString(Base resource, WireFormat format = WireFormat.Json) =>
        Encoding.UTF8.GetString(Serialize(resource, format));

    public static Resource ParseJson(string json) => Parse(Encoding.UTF8.GetBytes(json), WireFormat.Json);

    public static System.Text.Json.Nodes.JsonObject ToJsonNode(Base resource) =>
        System.Text.Json.Nodes.JsonNode.Parse(Serialize(resource, WireFormat.Json))!.AsObject();

    public static async System.Threading.Tasks.Task WriteAsync(HttpContext http, int status, Resource resource, WireFormat? format = null)
    {
        var f = format ?? Negotiate(http.Request) ?? WireFormat.Json;
        http.Response.StatusCode = status;
        http.Response.ContentType = Mime(f) + "; charset=utf-8";
        await http.Response.Body.WriteAsync(Serialize(resource, f));
    }

    /// <summary>Writes stored FHIR JSON as it is when JSON was asked for; otherwise re-serialises.</summary>
    public static async System.Threading.Tasks.Task WriteStoredAsync(HttpContext http, int status, byte[] json, WireFormat format)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = Mime(format) + "; charset=utf-8";
        if (format == WireFormat.Json) await http.Response.Body.WriteAsync(json);
        else await http.Response.Body.WriteAsync(Serialize(Parse(json, WireFormat.Json), WireFormat.Xml));
    }

    public static System.Threading.Tasks.Task WriteOutcomeAsync(HttpContext http, int status, OperationOutcome outcome) =>
        WriteAsync(http, status, outcome, Negotiate(http.Request) ?? WireFormat.Json);
}
