// The FHIR model has its own Task resource; in the tests "Task" always means the .NET one.
global using Task = System.Threading.Tasks.Task;
