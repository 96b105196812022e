"""The client's encrypted SQLCipher store: key slots, connection, migrations, repositories."""
