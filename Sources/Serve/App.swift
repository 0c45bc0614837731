print("serve: placeholder")
