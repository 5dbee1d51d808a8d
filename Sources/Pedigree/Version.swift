public enum PedigreeVersion { public static let string = "0.1.0" }
