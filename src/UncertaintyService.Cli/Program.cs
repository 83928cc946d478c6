using System.CommandLine;

var root = new RootCommand("UncertaintyService offline pipeline.");
return root.Parse(args).Invoke();
